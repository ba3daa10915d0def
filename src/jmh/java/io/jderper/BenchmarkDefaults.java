package io.jderper;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every jderper benchmark shares (JMH inherits these annotations): average time, a short warm-up, and a forked
 * JVM that runs Netty as the jar does in production (leak detection off, Unsafe on even on JDK 25).
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Dio.netty.noUnsafe=false"})
public abstract class BenchmarkDefaults {
}
