package io.jderper.config;

import java.net.URI;

/** What the root path serves: the default page, a blank page, or a redirect. */
public sealed interface HomePage {
    record DefaultPage() implements HomePage {
    }

    record Blank() implements HomePage {
    }

    record Redirect(URI target) implements HomePage {
    }

    static HomePage parse(String value, String property) {
        if (value == null || value.isEmpty()) {
            return new DefaultPage();
        }
        if (value.equals("blank")) {
            return new Blank();
        }
        if (value.startsWith("http://") || value.startsWith("https://")) {
            try {
                return new Redirect(URI.create(value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(property + " is not a valid URL: '" + value + "'");
            }
        }
        throw new IllegalArgumentException(property + " must be empty, 'blank', or an http(s) URL; got '" + value + "'");
    }
}
