package io.treecast.durability.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

class ChildClasspathTest {

    @Test
    void childClasspathContainsTheKafkaBrokerJars() {
        String cp = EmbeddedKafka.childClasspath();
        assertThat(cp.split(File.pathSeparator)).anyMatch(e -> e.contains("kafka_2.13"));
    }

    @Test
    void manifestOnlyJarIsExpandedIntoItsClassPathEntries(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path a = Files.createFile(lib.resolve("a.jar"));
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, "lib/a.jar " + dir.resolve("b dir/").toUri());
        Path booter = dir.resolve("booter.jar");
        try (OutputStream out = Files.newOutputStream(booter); JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.flush();
        }
        String old = System.getProperty("java.class.path");
        try {
            System.setProperty("java.class.path", booter.toString());
            String[] entries = EmbeddedKafka.childClasspath().split(File.pathSeparator);
            assertThat(entries).containsExactly(booter.toString(), a.toString(),
                    dir.resolve("b dir").toString());
        } finally {
            System.setProperty("java.class.path", old);
        }
    }
}
