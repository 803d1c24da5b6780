package io.treecast.durability.internal;

import java.nio.file.Path;
import java.time.Duration;

/** A parent process for {@link EmbeddedKafkaIT}: starts a broker, prints the child's pid, then waits to be killed. */
public final class EmbeddedKafkaParentMain {
    private EmbeddedKafkaParentMain() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedKafka kafka = new EmbeddedKafka(Path.of(args[0]), "384m", Duration.ofSeconds(90), Duration.ofSeconds(10));
        kafka.start();
        System.out.println("CHILD-PID " + kafka.pid());
        System.out.flush();
        // block until the test kills us (or closes our stdin)
        while (System.in.read() >= 0) {
            // keep reading
        }
        kafka.close();
    }
}
