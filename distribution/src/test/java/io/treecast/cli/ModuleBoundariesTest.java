package io.treecast.cli;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.util.List;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameStartingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module boundaries of CONVENTIONS.md ("another module may use only the public package"), checked on the
 * production classes of every module (the distribution depends on all of them), so that they hold by test, not only
 * by naming. Tests may reach into internals (e.g. to start an embedded broker); shipped code may not.
 */
class ModuleBoundariesTest {
    /** Each module's root package. */
    private static final List<String> MODULES = List.of("fastpath", "durability", "gateway", "observability", "client",
            "cli", "bench");

    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.treecast");

    @Test
    void theImportSeesEveryModuleAndTheDependenciesBetweenThem() {
        for (String module : MODULES) {
            assertThat(PRODUCTION.containPackage("io.treecast." + module)).as("classes of %s imported", module).isTrue();
        }
        // a control: a dependency these rules allow is seen, so an empty check cannot pass for a clean one
        assertThat(PRODUCTION.get("io.treecast.bench.engine.MatchBenchmark").getDirectDependenciesFromSelf())
                .anyMatch(d -> d.getTargetClass().getName().startsWith("io.treecast.fastpath.internal.CoreBench"));
    }

    @Test
    void noModuleUsesAnotherModulesInternals() {
        for (String module : MODULES) {
            DescribedPredicate<JavaClass> internals = resideInAPackage("io.treecast." + module + ".internal..");
            if (module.equals("fastpath")) {
                // the JMH benchmarks measure the writer's own work, through the one type made for them
                internals = internals.and(not(nameStartingWith("io.treecast.fastpath.internal.CoreBench")));
            }
            if (module.equals("gateway")) {
                // the JMH benchmarks measure the event loop's decode and the dispatcher's encode through the one type made for them
                internals = internals.and(not(nameStartingWith("io.treecast.gateway.internal.GatewayBench")));
            }
            noClasses().that().resideOutsideOfPackage("io.treecast." + module + "..")
                    .should().dependOnClassesThat(internals)
                    .because("io.treecast." + module + ".internal is that module's machinery: use its public package")
                    .check(PRODUCTION);
        }
    }

    @Test
    void onlyTheBenchmarksUseTheEnginesBenchEntryPoint() {
        noClasses().that().resideOutsideOfPackages("io.treecast.fastpath..", "io.treecast.bench..")
                .should().dependOnClassesThat(nameStartingWith("io.treecast.fastpath.internal.CoreBench"))
                .check(PRODUCTION);
        noClasses().that().resideOutsideOfPackages("io.treecast.gateway..", "io.treecast.bench..")
                .should().dependOnClassesThat(nameStartingWith("io.treecast.gateway.internal.GatewayBench"))
                .check(PRODUCTION);
    }

    @Test
    void theEngineDependsOnNoOtherModule() {
        noClasses().that().resideInAPackage("io.treecast.fastpath..")
                .should().dependOnClassesThat().resideInAnyPackage("io.treecast.proto..", "io.treecast.durability..",
                        "io.treecast.gateway..", "io.treecast.observability..", "io.treecast.client..", "io.treecast.cli..")
                .because("an application embeds the engine alone (DESIGN.md)")
                .check(PRODUCTION);
    }

    @Test
    void theGatewayDoesNotDependOnDurabilityOrObservability() {
        noClasses().that().resideInAPackage("io.treecast.gateway..")
                .should().dependOnClassesThat().resideInAnyPackage("io.treecast.durability..", "io.treecast.observability..")
                .because("the gateway reaches durability only through the engine's Journal port, and is observed, "
                        + "not observing")
                .check(PRODUCTION);
    }

    @Test
    void theClientDependsOnNoServerModule() {
        noClasses().that().resideInAPackage("io.treecast.client..")
                .should().dependOnClassesThat().resideInAnyPackage("io.treecast.fastpath..", "io.treecast.durability..",
                        "io.treecast.gateway..", "io.treecast.observability..", "io.treecast.cli..")
                .because("a client application must not pull the server in")
                .check(PRODUCTION);
    }
}
