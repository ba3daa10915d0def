package io.jderper.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The help text is generated from the flag table DerperFlags translates with, so the two cannot drift. */
class DerperHelpTest {
    private static final Pattern FLAG_HEADING = Pattern.compile("(?m)^  -([a-z0-9-]+)(?: (string|int|float|duration))?$");

    @Test
    void listsEveryFlagOfTheTableInItsOrderWithItsType() {
        String help = DerperHelp.render();
        Matcher m = FLAG_HEADING.matcher(help);
        List<String> listed = new ArrayList<>();
        while (m.find()) {
            listed.add(m.group(1));
        }
        assertThat(listed).containsExactlyElementsOf(DerperFlags.flags().stream().map(DerperFlags.Flag::name).toList());
        assertThat(help).contains("  -a string\n", "  -http-port int\n", "  -accept-connection-limit float\n",
                "  -tcp-user-timeout duration\n", "  -dev\n", "  -h, -help\n");
    }

    @Test
    void eachFlagShowsThePropertyItIsTranslatedToWithThatPropertysDefaultAndDescription() {
        String help = DerperHelp.render();
        PropertyCatalog catalog = PropertyCatalog.current();
        for (DerperFlags.Flag flag : DerperFlags.flags()) {
            String block = block(help, flag.name());
            if (flag.property() == null) {
                assertThat(block).as(flag.name()).contains(flag.usage());
                continue;
            }
            if (!flag.landed()) {
                assertThat(block).as(flag.name()).contains("not available in this build").doesNotContain("property ");
                continue;
            }
            // What the help says the flag sets is what translation produces.
            String sample = switch (flag.kind()) {
                case BOOL -> "true";
                case INT -> "1";
                case FLOAT -> "1.5";
                case DURATION -> "1s";
                default -> ":1";
            };
            String[] args = flag.kind() == DerperFlags.Kind.BOOL ? new String[]{"-" + flag.name()}
                    : new String[]{"-" + flag.name(), sample};
            String translated = DerperFlags.translate(args).springArgs().get(0);
            assertThat(block).as(flag.name()).contains("property " + translated.substring(2, translated.indexOf('=')));

            PropertyCatalog.Property p = catalog.find(flag.property()).orElseThrow(() ->
                    new AssertionError(flag.property() + " (flag -" + flag.name() + ") is not a bound property"));
            String firstWords = p.description().replaceFirst("^-[a-z0-9-]+[:;]\\s*", "").split(" ")[0];
            assertThat(unwrapped(block)).as(flag.name()).contains(firstWords);
            String def = p.defaultValue();
            if (!def.isEmpty() && !(flag.kind() == DerperFlags.Kind.BOOL && def.equals("false"))) {
                assertThat(unwrapped(block)).as(flag.name()).containsPattern("\\(default \"?" + Pattern.quote(def) + "\"?\\)");
            } else {
                assertThat(block).as(flag.name()).doesNotContain("(default");
            }
        }
    }

    @Test
    void pointsToWherePropertiesAreDocumented() {
        assertThat(DerperHelp.render()).contains("README.md").contains("docs/operations.md")
                .contains("--derper.x=y").contains("DERPER_MESH_KEYFILE");
    }

    @Test
    void helpFlagsWinOverEverythingElse() {
        for (String h : List.of("-h", "-help", "--help", "--h")) {
            var t = DerperFlags.translate(new String[]{"-a", ":1", h, "-nope"});
            assertThat(t.helpRequested()).as(h).isTrue();
        }
        assertThat(DerperFlags.translate(new String[]{"-a", ":1"}).helpRequested()).isFalse();
    }

    /** The real main prints the help and exits 0 without starting Spring (no log line, nothing bound). */
    @Test
    void mainPrintsHelpWithoutStartingTheServer(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, Map.of(), List.of("--help", "-c", "never-created.json"));
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).isEqualTo(DerperHelp.render());
        assertThat(dir.resolve("never-created.json")).doesNotExist();
    }

    private static String block(String help, String flag) {
        int start = help.indexOf("\n  -" + flag + (help.contains("\n  -" + flag + " ") ? " " : "\n"));
        assertThat(start).as("-" + flag + " is listed").isNotNegative();
        int end = help.indexOf("\n  -", start + 1);
        return help.substring(start, end < 0 ? help.length() : end);
    }

    private static String unwrapped(String block) {
        return block.replaceAll("\\s+", " ");
    }
}
