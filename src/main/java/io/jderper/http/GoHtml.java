package io.jderper.http;

/**
 * HTML escaping as Go's {@code html.EscapeString} does it, so pages and redirect bodies match the original's bytes.
 * The one escaper for every page the server and the prober render.
 */
public final class GoHtml {
    private GoHtml() {
    }

    /** Escapes {@code < > & ' "}; null becomes the empty string. */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '\'' -> out.append("&#39;");
                case '"' -> out.append("&#34;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
