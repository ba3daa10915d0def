package io.jderper.probe;

import io.jderper.http.GoHtml;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The prober's status page: one row per probe, failing probes first, rendered on the server as plain HTML (no
 * script, nothing loaded from elsewhere), and the same rows as JSON for scripts.
 */
final class StatusPage {
    static final String TITLE = "DERP Prober";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Failing first, then probes that have not finished yet, then the healthy ones; by name within each group. */
    static final Comparator<ProbeInfo> ORDER = Comparator
            .comparingInt((ProbeInfo p) -> p.failing() ? 0 : ProbeInfo.NONE.equals(p.lastResult()) ? 1 : 2)
            .thenComparing(ProbeInfo::name);

    private StatusPage() {
    }

    static List<ProbeInfo> rows(Map<String, ProbeInfo> probes) {
        List<ProbeInfo> rows = new ArrayList<>(probes.values());
        rows.sort(ORDER);
        return rows;
    }

    static String html(Map<String, ProbeInfo> probes, Instant now, int refreshSeconds) {
        List<ProbeInfo> rows = rows(probes);
        long failing = rows.stream().filter(ProbeInfo::failing).count();
        long pending = rows.stream().filter(p -> ProbeInfo.NONE.equals(p.lastResult())).count();
        StringBuilder h = new StringBuilder(4096 + rows.size() * 600);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (refreshSeconds > 0) {
            h.append("<meta http-equiv=\"refresh\" content=\"").append(refreshSeconds).append("\">\n");
        }
        h.append("<title>").append(failing > 0 ? "(" + failing + " failing) " : "").append(TITLE).append("</title>\n");
        h.append("""
                <style>
                body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
                       margin: 1.5rem; line-height: 1.4; color: #1d1d1f; }
                h1 { font-weight: 500; margin: 0 0 .5rem; }
                #summary { font-size: 1.1rem; margin: .5rem 0 1rem; }
                #summary.bad { color: #b00020; font-weight: 600; }
                #summary.good { color: #1b7f3b; }
                table { border-collapse: collapse; width: 100%; }
                th, td { padding: .35rem .5rem; text-align: left; vertical-align: top; border-bottom: 1px solid #ddd; }
                th { background: #f0f0f0; position: sticky; top: 0; }
                tr.failed td { background: #fdecee; }
                tr.failed td.result { color: #b00020; font-weight: 600; }
                tr.succeeded td.result { color: #1b7f3b; }
                tr.none td.result { color: #666; }
                td.error { font-family: ui-monospace, monospace; font-size: .85rem; white-space: pre-wrap; max-width: 40rem; }
                .small { font-size: .8rem; color: #555; }
                td.num { text-align: right; white-space: nowrap; }
                form { display: inline; margin: 0; }
                nav a { margin-right: 1rem; }
                </style>
                </head>
                <body>
                """);
        h.append("<h1>").append(TITLE).append("</h1>\n");
        h.append("<nav><a href=\"/metrics\">Prober metrics</a><a href=\"/status.json\">JSON</a></nav>\n");
        if (failing > 0) {
            h.append("<p id=\"summary\" class=\"bad\">").append(failing).append(" of ").append(rows.size())
                    .append(rows.size() == 1 ? " probe" : " probes").append(" failing</p>\n");
        } else if (rows.isEmpty()) {
            h.append("<p id=\"summary\" class=\"none\">No probes yet</p>\n");
        } else {
            h.append("<p id=\"summary\" class=\"good\">All ").append(rows.size() - pending)
                    .append(" probes that have run are healthy").append(pending > 0 ? " (" + pending + " not run yet)" : "")
                    .append("</p>\n");
        }
        h.append("<table id=\"probes\">\n<thead><tr><th>Name</th><th>Class</th><th>Last result</th><th>Latency</th>"
                + "<th>Last error</th><th>Age</th><th>Interval</th><th>Recent</th></tr></thead>\n<tbody>\n");
        for (ProbeInfo p : rows) {
            h.append("<tr class=\"probe ").append(p.lastResult()).append("\" data-name=\"").append(GoHtml.escape(p.name()))
                    .append("\" data-class=\"").append(GoHtml.escape(p.className())).append("\" data-result=\"").append(p.lastResult())
                    .append("\">");
            h.append("<td class=\"name\">").append(GoHtml.escape(p.name()));
            if (!p.continuous()) {
                h.append("<br><form method=\"post\" action=\"/debug/probe-run\"><input type=\"hidden\" name=\"name\" value=\"")
                        .append(GoHtml.escape(p.name())).append("\"><button type=\"submit\">Run now</button></form>");
            }
            h.append("</td>");
            h.append("<td class=\"class\">").append(GoHtml.escape(p.className())).append("<div class=\"small\">");
            p.labels().forEach((k, v) -> {
                if (!k.equals("name") && !k.equals("class")) {
                    h.append(GoHtml.escape(k)).append('=').append(GoHtml.escape(v)).append("<br>");
                }
            });
            h.append("</div></td>");
            h.append("<td class=\"result\">").append(resultText(p));
            if (ProbeInfo.RUNNING.equals(p.status())) {
                h.append("<div class=\"small\">running now</div>");
            }
            if (!p.detail().isEmpty()) {
                h.append("<div class=\"small detail\">").append(GoHtml.escape(p.detail())).append("</div>");
            }
            h.append("</td>");
            h.append("<td class=\"latency num\">").append(p.latency().isZero() ? "" : millis(p.latency())).append("</td>");
            h.append("<td class=\"error\">").append(GoHtml.escape(p.error())).append("</td>");
            h.append("<td class=\"age num\">").append(p.end() == null ? "never" : age(Duration.between(p.end(), now)) + " ago").append("</td>");
            h.append("<td class=\"interval num\">").append(p.continuous() ? "continuous" : Probe.format(p.interval())).append("</td>");
            h.append("<td class=\"recent small\">");
            if (!p.recentResults().isEmpty()) {
                h.append(Math.round(p.recentSuccessRatio() * 100)).append("% of ").append(p.recentResults().size());
                if (!p.recentLatencies().isEmpty()) {
                    h.append("<br>median ").append(millis(p.recentMedianLatency()));
                }
            }
            h.append("</td></tr>\n");
        }
        h.append("</tbody>\n</table>\n<p class=\"small\">Generated ").append(now).append("</p>\n</body>\n</html>\n");
        return h.toString();
    }

    private static String resultText(ProbeInfo p) {
        return switch (p.lastResult()) {
            case ProbeInfo.SUCCEEDED -> "OK";
            case ProbeInfo.FAILED -> "FAILED";
            default -> ProbeInfo.RUNNING.equals(p.status()) ? "first run" : "not run yet";
        };
    }

    static String json(Map<String, ProbeInfo> probes, Instant now) {
        List<ProbeInfo> rows = rows(probes);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("title", TITLE);
        doc.put("generatedAt", now.toString());
        doc.put("total", rows.size());
        doc.put("failing", rows.stream().filter(ProbeInfo::failing).count());
        List<Map<String, Object>> list = new ArrayList<>();
        for (ProbeInfo p : rows) {
            list.add(probeJson(p, now));
        }
        doc.put("probes", list);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n";
    }

    static Map<String, Object> probeJson(ProbeInfo p, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("class", p.className());
        m.put("labels", p.labels());
        m.put("intervalSeconds", p.interval().toMillis() / 1000.0);
        m.put("status", p.status());
        m.put("lastResult", p.lastResult());
        m.put("latencyMillis", p.latency().toNanos() / 1e6);
        m.put("error", p.error());
        m.put("detail", p.detail());
        m.put("start", p.start() == null ? null : p.start().toString());
        m.put("end", p.end() == null ? null : p.end().toString());
        m.put("ageSeconds", p.end() == null ? null : Duration.between(p.end(), now).toMillis() / 1000.0);
        m.put("recentResults", p.recentResults());
        m.put("recentLatenciesMillis", p.recentLatencies().stream().map(d -> d.toNanos() / 1e6).toList());
        return m;
    }

    static String millis(Duration d) {
        double ms = d.toNanos() / 1e6;
        return ms >= 100 ? Math.round(ms) + " ms" : String.format(java.util.Locale.ROOT, "%.1f ms", ms);
    }

    static String age(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) {
            return s + "s";
        }
        if (s < 7200) {
            return s / 60 + "m";
        }
        if (s < 172800) {
            return s / 3600 + "h";
        }
        return s / 86400 + "d";
    }
}
