package io.jderper.admission;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Reloads {@code -rate-config} at runtime: on SIGHUP, as the original does, and (unless turned off) whenever the
 * file's directory changes, which also catches Kubernetes ConfigMap updates (an atomic symlink swap next to the file).
 * The watcher reloads only when the file's content changed, so SIGHUP and the watcher never apply one edit twice.
 */
final class RateConfigReloader implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(RateConfigReloader.class);
    /** Editors write in steps; give them a moment before reading. */
    private static final long SETTLE_MILLIS = 150;

    private final ReceiveRateLimits limits;
    private final boolean watch;
    private final Runnable onHangup;
    private volatile boolean running;
    private volatile boolean hangupSubscribed;
    private WatchService watcher;
    private Thread watchThread;

    RateConfigReloader(ReceiveRateLimits limits, boolean watch) {
        this.limits = limits;
        this.watch = watch;
        this.onHangup = () -> {
            log.info("received SIGHUP, reloading rate config from {}", limits.file());
            if (limits.reload()) {
                log.info("rate config reloaded successfully");
            }
        };
    }

    boolean hangupSubscribed() {
        return hangupSubscribed;
    }

    @Override
    public synchronized void start() {
        hangupSubscribed = HangupSignal.subscribe(onHangup);
        if (watch) {
            startWatching();
        }
        running = true;
    }

    private void startWatching() {
        Path dir = limits.file().toAbsolutePath().getParent();
        try {
            watcher = FileSystems.getDefault().newWatchService();
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            log.warn("cannot watch {} for rate config changes ({}); reload with SIGHUP", dir, e.toString());
            watcher = null;
            return;
        }
        WatchService w = watcher;
        watchThread = new Thread(() -> watchLoop(w), "rate-config-watch");
        watchThread.setDaemon(true);
        watchThread.start();
    }

    private void watchLoop(WatchService w) {
        try {
            while (true) {
                WatchKey key = w.take();
                Thread.sleep(SETTLE_MILLIS);
                key.pollEvents();
                key.reset();
                WatchKey more;
                while ((more = w.poll(0, TimeUnit.MILLISECONDS)) != null) {
                    more.pollEvents();
                    more.reset();
                }
                limits.reloadIfChanged();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // stopping
        } catch (RuntimeException e) {
            log.warn("rate config watcher stopped", e);
        }
    }

    @Override
    public synchronized void stop() {
        running = false;
        HangupSignal.unsubscribe(onHangup);
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                log.debug("closing the rate config watcher: {}", e.toString());
            }
            watcher = null;
        }
        if (watchThread != null) {
            watchThread.interrupt();
            watchThread = null;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
