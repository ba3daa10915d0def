package io.jderper.ops;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Flight Recorder recording with the JDK's "profile" settings (method samples every 10-20 ms, allocation, locks,
 * I/O, GC): the JVM's answer to the original's {@code /debug/pprof/profile}. Open the file in JDK Mission Control or
 * with {@code jfr print}. One recording at a time, as Go allows one CPU profile at a time; its size is capped.
 */
final class JfrProfile implements AutoCloseable {
    static final int DEFAULT_SECONDS = 30;
    static final int MAX_SECONDS = 300;
    static final long MAX_BYTES = 256L << 20;

    private static final AtomicBoolean RUNNING = new AtomicBoolean();

    private final Recording recording;
    private final AtomicBoolean closed = new AtomicBoolean();

    private JfrProfile(Recording recording) {
        this.recording = recording;
    }

    /** Thrown when another profile is still being recorded. */
    static final class Busy extends IllegalStateException {
        Busy() {
            super("a profile is already being recorded; try again when it ends");
        }
    }

    /** Starts recording; {@link #finish} or {@link #close} must follow. */
    static JfrProfile start() throws IOException, ParseException {
        if (!RUNNING.compareAndSet(false, true)) {
            throw new Busy();
        }
        try {
            Recording r = new Recording(Configuration.getConfiguration("profile"));
            r.setName("jderper debug profile");
            r.setMaxSize(MAX_BYTES);
            r.setToDisk(true);
            r.start();
            return new JfrProfile(r);
        } catch (IOException | ParseException | RuntimeException e) {
            RUNNING.set(false);
            throw e;
        }
    }

    /** Stops the recording and returns the file's bytes. */
    byte[] finish() throws IOException {
        if (recording.getState() == RecordingState.RUNNING) {
            // Otherwise the JVM is shutting down and Flight Recorder has stopped it already: send what it holds.
            recording.stop();
        }
        Path file = Files.createTempFile("jderper-profile", ".jfr");
        try {
            recording.dump(file);
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Releases the recording; safe after {@link #finish} and when the client went away before it. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            recording.close();
        } finally {
            RUNNING.set(false);
        }
    }

    /** The {@code seconds} query value: 1 to {@link #MAX_SECONDS}, {@link #DEFAULT_SECONDS} when absent. */
    static Duration duration(String seconds) {
        if (seconds == null || seconds.isEmpty()) {
            return Duration.ofSeconds(DEFAULT_SECONDS);
        }
        int s;
        try {
            s = Integer.parseInt(seconds);
        } catch (NumberFormatException e) {
            s = -1;
        }
        if (s < 1 || s > MAX_SECONDS) {
            throw new IllegalArgumentException("seconds must be a whole number from 1 to " + MAX_SECONDS + ", got \""
                    + seconds + "\"");
        }
        return Duration.ofSeconds(s);
    }
}
