package io.treecast.durability.it;

import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.TreeState;
import io.treecast.durability.internal.StaticMemberId;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Stopping the Kafka Streams state store: a stop leaves the consumer group, so that the next start (a server restart)
 * does not wait for a departed member and a stop during that start is clean too; with Kafka gone a stop still returns.
 */
class TreeStateStopIT {
    private static final String TOPIC = "stop";

    @RegisterExtension
    static final BrokerPerClass broker = new BrokerPerClass();

    private static Admin admin;

    @BeforeAll
    static void topic() throws Exception {
        Properties ap = new Properties();
        ap.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafka().bootstrapServers());
        admin = Admin.create(ap);
        admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                .all().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void closeAdmin() {
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    void aStoppedStoreLeavesItsConsumerGroup(@TempDir Path stateDir) throws Exception {
        String app = "stop-leaves-group";
        try (TreeState state = start(stateDir, app)) {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(state.running()).as("state.running()").isTrue());
            assertThat(members(app)).as("members of %s while it runs", app).hasSize(1);

            assertThat(state.stop()).as("Kafka Streams reached NOT_RUNNING within the stop bound").isTrue();

            assertThat(state.state()).isEqualTo("NOT_RUNNING");
            assertThat(members(app)).as("members of %s right after the stop", app).isEmpty();
        }
    }

    /**
     * What a server restart does: the old store stopped, the new one starts on the same state directory and is
     * stopped while it joins the group. Streams finishes a rebalance before it stops, and a rebalance waits for
     * every member it knows: a member that did not leave held it (and the stop) until its session timed out.
     */
    @Test
    void aStoreRestartedAfterAStopStopsCleanlyWhileItJoinsTheGroup(@TempDir Path stateDir) throws Exception {
        String app = "stop-restart";
        Set<String> firstMembers;
        try (TreeState first = start(stateDir, app)) {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(first.running()).as("first.running()").isTrue());
            firstMembers = members(app);
            assertThat(first.stop()).isTrue();
        }
        try (TreeState second = start(stateDir, app)) {
            // joined: the group knows a member that is not the first instance's
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(members(app)).anyMatch(m -> !firstMembers.contains(m)));

            assertThat(second.stop()).as("the restarted store reached NOT_RUNNING within the stop bound").isTrue();

            assertThat(second.state()).isEqualTo("NOT_RUNNING");
            assertThat(members(app)).isEmpty();
        }
    }

    /**
     * What a restart after {@code kill -9} does: the old store vanished without leaving the group (simulated by
     * closing its Kafka Streams with REMAIN_IN_GROUP, which is what a crash leaves behind), and a new one starts on the
     * same state directory. As a static member (its id kept in the state dir) it takes the vanished member's place at
     * once; as a new dynamic member it joined next to the dead one and the rebalance waited for the dead one's session
     * to time out (45 s in REBALANCING, measured with the packaged server).
     */
    @Test
    void aStoreRestartedAfterACrashTakesTheVanishedMembersPlaceInsteadOfWaitingForItsSession(@TempDir Path stateDir)
            throws Exception {
        String app = "crash-restart";
        TreeState first = start(stateDir, app);
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(first.running()).as("first.running()").isTrue());
        vanish(first);
        assertThat(members(app)).as("the crashed store is still a member").hasSize(1);

        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicInteger mostMembers = new java.util.concurrent.atomic.AtomicInteger();
        try (TreeState second = start(stateDir, app)) {
            // the restarted store reaches RUNNING within 120 s; the group's size is sampled on the way
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                mostMembers.accumulateAndGet(members(app).size(), Math::max);
                assertThat(second.running()).as("the restarted store is RUNNING").isTrue();
            });
            System.out.printf("restarted store RUNNING %d ms after its start%n", (System.nanoTime() - t0) / 1_000_000);
            assertThat(mostMembers.get()).as("members of %s while the restarted store joined", app).isLessThanOrEqualTo(1);
            List<MemberDescription> now = admin.describeConsumerGroups(List.of(app)).all().get(30, TimeUnit.SECONDS)
                    .get(app).members().stream().toList();
            assertThat(now).hasSize(1);
            assertThat(now.get(0).groupInstanceId()).as("the member's static id, kept in the state dir")
                    .hasValueSatisfying(id -> assertThat(id).startsWith("treecast-"));
        }
    }

    /**
     * Leaves the store as a crashed process would: its Kafka Streams closed without leaving the group, and the lock
     * on its state dir's member id released (the OS does that when a process dies).
     */
    private static void vanish(TreeState state) throws Exception {
        KafkaStreams streams = (KafkaStreams) field(state, "streams");
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                .withTimeout(Duration.ofSeconds(10)));
        ((StaticMemberId) field(state, "member")).close();
    }

    private static Object field(TreeState state, String name) throws Exception {
        java.lang.reflect.Field f = TreeState.class.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(state);
    }

    /**
     * With the broker killed (connections refused) the leave request fails at once and the stop usually finishes
     * (90 ms measured); it did not once in three runs when the broker died just after the store started, while the
     * stream thread still needed the group (a follow-up rebalance or a commit: not pinned down), and then returned
     * at its bound. Either way it returns and tells the truth, and its threads finish once Kafka is back.
     */
    @Test
    void aStopWithTheBrokerKilledReturnsAndSaysWhetherStreamsStopped(@TempDir Path stateDir) throws Exception {
        String app = "stop-broker-killed";
        TreeState state = start(stateDir, app);
        try {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(state.running()).as("state.running()").isTrue());
            broker.kafka().kill();

            boolean stopped = state.stop();

            assertThat(state.state()).as("state after stop() returned %s", stopped)
                    .isEqualTo(stopped ? "NOT_RUNNING" : "PENDING_SHUTDOWN");
            restartBroker();
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(state.state()).isEqualTo("NOT_RUNNING"));
        } finally {
            restartBroker();
            state.close();
        }
    }

    /**
     * A broker that neither answers nor refuses (frozen with SIGSTOP, like a network partition): the leave request
     * cannot complete, and the stop returns at its bound saying so instead of hanging the server's shutdown.
     */
    @Test
    void aStopWithTheBrokerFrozenReturnsAtItsBoundAndSaysItDidNotFinish(@TempDir Path stateDir) throws Exception {
        String app = "stop-broker-frozen";
        TreeState state = start(stateDir, app);
        try {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(state.running()).as("state.running()").isTrue());
            signal("STOP", broker.kafka().pid());
            try {
                assertThat(state.stop()).as("Kafka Streams reached NOT_RUNNING").isFalse();
                assertThat(state.state()).isEqualTo("PENDING_SHUTDOWN");
            } finally {
                signal("CONT", broker.kafka().pid());
            }
            // once the broker answers again the lingering stream thread finishes
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(state.state()).isEqualTo("NOT_RUNNING"));
        } finally {
            restartBroker();
            state.close();
        }
    }

    private static void restartBroker() {
        if (!broker.kafka().isRunning()) {
            broker.kafka().start(); // same ports: the other tests of this class keep their broker
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %d", name, pid).isZero();
    }

    private static TreeState start(Path stateDir, String applicationId) {
        DurabilityConfig config = DurabilityConfig.builder().bootstrapServers(broker.kafka().bootstrapServers())
                .topic(TOPIC).treeId(applicationId).build();
        return TreeState.start(config, broker.kafka().bootstrapServers(), 2, stateDir, applicationId);
    }

    private static Set<String> members(String group) throws Exception {
        return admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group).members()
                .stream().map(MemberDescription::consumerId).collect(Collectors.toSet());
    }
}
