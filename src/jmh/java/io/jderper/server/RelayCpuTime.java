package io.jderper.server;

import io.netty.util.concurrent.FastThreadLocalThread;

import java.lang.management.ManagementFactory;

/**
 * {@link RelayBenchmark#sendToRecv} measured in thread CPU time and allocated bytes per packet instead of wall-clock
 * time, for machines too busy for JMH's figures to mean much. Runs on a Netty {@link FastThreadLocalThread}, as the
 * event loops are: on a plain thread Netty's recyclers do not pool and every write allocates an outbound-buffer entry.
 * <pre>
 * ./mvnw -B -q -Pjmh test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test
 * java -Dio.netty.leakDetection.level=disabled -cp target/test-classes:target/classes:$(cat cp.txt) \
 *     io.jderper.server.RelayCpuTime [warm-up invocations] [rounds] [invocations per round]
 * </pre>
 */
public final class RelayCpuTime {
    private RelayCpuTime() {
    }

    public static void main(String[] args) throws InterruptedException {
        int warmUp = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int perRound = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
        Thread t = new FastThreadLocalThread(() -> run(warmUp, rounds, perRound));
        t.start();
        t.join();
    }

    private static void run(int warmUp, int rounds, int perRound) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        RelayBenchmark b = new RelayBenchmark();
        b.size = 1200;
        b.setup();
        try {
            for (int i = 0; i < warmUp; i++) {
                b.sendToRecv();
            }
            StringBuilder cpu = new StringBuilder();
            long allocated = 0;
            for (int r = 0; r < rounds; r++) {
                long c0 = mx.getCurrentThreadCpuTime();
                long a0 = mx.getThreadAllocatedBytes(self);
                for (int i = 0; i < perRound; i++) {
                    b.sendToRecv();
                }
                long a1 = mx.getThreadAllocatedBytes(self);
                long c1 = mx.getCurrentThreadCpuTime();
                allocated += a1 - a0;
                cpu.append(String.format(" %.1f", (c1 - c0) / (double) perRound / RelayBenchmark.BATCH));
            }
            System.out.println("CPU ns per packet, each round:" + cpu);
            System.out.printf("bytes allocated per packet: %.1f%n",
                    allocated / (double) rounds / perRound / RelayBenchmark.BATCH);
        } finally {
            b.tearDown();
        }
    }
}
