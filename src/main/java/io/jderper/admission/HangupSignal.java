package io.jderper.admission;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * SIGHUP for the whole JVM, shared by every listener (several application contexts may live in one test JVM).
 * Installed through {@code sun.misc.Signal} by reflection: where that API or the signal is unavailable (another
 * JVM, {@code -Xrs}), {@link #subscribe} says so and callers fall back to their other reload trigger.
 */
final class HangupSignal {
    private static final Logger log = LoggerFactory.getLogger(HangupSignal.class);
    private static final Set<Runnable> listeners = new CopyOnWriteArraySet<>();
    private static boolean installed;
    private static boolean unavailable;

    private HangupSignal() {
    }

    /** Adds a listener; returns false when SIGHUP cannot be handled in this JVM. */
    static synchronized boolean subscribe(Runnable listener) {
        if (!installed && !unavailable) {
            install();
        }
        if (!installed) {
            return false;
        }
        listeners.add(listener);
        return true;
    }

    static void unsubscribe(Runnable listener) {
        listeners.remove(listener);
    }

    private static void install() {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance("HUP");
            Object handler = Proxy.newProxyInstance(HangupSignal.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            fire();
                            return null;
                        }
                        if (method.getName().equals("toString")) {
                            return "jderper SIGHUP handler";
                        }
                        if (method.getName().equals("hashCode")) {
                            return System.identityHashCode(proxy);
                        }
                        if (method.getName().equals("equals")) {
                            return proxy == args[0];
                        }
                        return null;
                    });
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            handle.invoke(null, signal, handler);
            installed = true;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            unavailable = true;
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            log.warn("cannot handle SIGHUP in this JVM ({}); rate config reloads only by file watch", cause.toString());
        }
    }

    private static void fire() {
        for (Runnable r : listeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.warn("SIGHUP listener failed", e);
            }
        }
    }
}
