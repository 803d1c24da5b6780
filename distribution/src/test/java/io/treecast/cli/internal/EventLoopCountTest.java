package io.treecast.cli.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EventLoopCountTest {
    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(EventLoopCount.PROPERTY);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(EventLoopCount.PROPERTY);
        } else {
            System.setProperty(EventLoopCount.PROPERTY, saved);
        }
    }

    @Test
    void withoutASettingThereIsOneEventLoopPerCore() {
        System.clearProperty(EventLoopCount.PROPERTY);
        EventLoopCount.applyDefault();
        assertThat(System.getProperty(EventLoopCount.PROPERTY))
                .isEqualTo(String.valueOf(Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void aCountTheUserGaveIsKept() {
        System.setProperty(EventLoopCount.PROPERTY, "7");
        EventLoopCount.applyDefault();
        assertThat(System.getProperty(EventLoopCount.PROPERTY)).isEqualTo("7");
    }
}
