package io.jderper.testsupport;

import io.netty.util.ResourceLeakDetector;

import java.util.ArrayList;
import java.util.List;

/**
 * Netty's leak detector (installed for tests through {@code -Dio.netty.customResourceLeakDetector}) that also keeps
 * every report, so {@link LeakCheckExtension} can fail the test class that leaked instead of leaving a log line.
 */
public final class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {
    private static final List<String> REPORTS = new ArrayList<>();

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        record("LEAK: " + resourceType + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        record("LEAK: " + resourceType + " (untraced)");
        super.reportUntracedLeak(resourceType);
    }

    private static synchronized void record(String report) {
        REPORTS.add(report);
    }

    /** Reports collected since the last call. */
    public static synchronized List<String> drain() {
        List<String> out = new ArrayList<>(REPORTS);
        REPORTS.clear();
        return out;
    }
}
