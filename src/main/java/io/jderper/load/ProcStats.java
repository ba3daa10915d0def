package io.jderper.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** CPU time and resident memory of a process, from Linux's {@code /proc}. */
final class ProcStats {

    /**
     * @param userSeconds   user time of all threads, exited ones included
     * @param systemSeconds kernel time, likewise (on a relay most of it is socket reads and writes)
     * @param rssKiB        VmRSS
     */
    record Sample(double userSeconds, double systemSeconds, long rssKiB, long threads) {
        double cpuSeconds() {
            return userSeconds + systemSeconds;
        }
    }

    private static final long CLOCK_TICKS = clockTicks();

    private ProcStats() {
    }

    static Sample sample(long pid) throws IOException {
        Path dir = Path.of("/proc", Long.toString(pid));
        String stat = Files.readString(dir.resolve("stat"));
        // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long utime = Long.parseLong(f[11]);
        long stime = Long.parseLong(f[12]);
        long threads = Long.parseLong(f[17]);
        long rss = 0;
        for (String line : Files.readAllLines(dir.resolve("status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return new Sample(utime / (double) CLOCK_TICKS, stime / (double) CLOCK_TICKS, rss, threads);
    }

    static Sample self() {
        try {
            return sample(ProcessHandle.current().pid());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Long.parseLong(out);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to the value every mainstream Linux build uses
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
