package io.treecast.cli.internal;

import io.treecast.client.LeafChange;
import io.treecast.client.TreeValue;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ValuesTest {

    @Test
    void valuesThatReadAsNumbersOrBooleansAreTypedAutomatically() {
        assertThat(Values.parse("42", null)).isEqualTo(TreeValue.of(42L));
        assertThat(Values.parse("-7", null)).isEqualTo(TreeValue.of(-7L));
        assertThat(Values.parse("1.0842", null)).isEqualTo(TreeValue.of(1.0842));
        assertThat(Values.parse("1e3", null)).isEqualTo(TreeValue.of(1000.0));
        assertThat(Values.parse("true", null)).isEqualTo(TreeValue.of(true));
        assertThat(Values.parse("EURUSD", null)).isEqualTo(TreeValue.of("EURUSD"));
        assertThat(Values.parse("1.2.3", null)).isEqualTo(TreeValue.of("1.2.3"));
        assertThat(Values.parse("99999999999999999999", null).kind()).isEqualTo(TreeValue.Kind.STRING);
    }

    @Test
    void explicitTypeWinsOverTheGuess() {
        assertThat(Values.parse("42", "string")).isEqualTo(TreeValue.of("42"));
        assertThat(Values.parse("42", "double")).isEqualTo(TreeValue.of(42.0));
        assertThat(Values.parse("aGVsbG8=", "bytes")).isEqualTo(TreeValue.of("hello".getBytes()));
        assertThat(Values.parse("false", "bool")).isEqualTo(TreeValue.of(false));
    }

    @Test
    void aValueThatDoesNotFitItsTypeSaysWhatToChange() {
        assertThatThrownBy(() -> Values.parse("zz", "int"))
                .isInstanceOf(Errors.UsageException.class)
                .hasMessage("value 'zz' is not a valid int: fix the value or change --type");
        assertThatThrownBy(() -> Values.parse("%%%", "bytes"))
                .hasMessageContaining("not a valid bytes (base64, e.g. aGVsbG8=)");
        assertThatThrownBy(() -> Values.parse("1", "float"))
                .hasMessage("--type float is unknown: use string, int, double, bool or bytes");
    }

    @Test
    void jsonFormOfLeavesEscapesStringsAndKeepsNumbersBare() {
        assertThat("{" + Values.leafFields(new LeafChange("a/b", TreeValue.of("say \"hi\"\n"), 3)) + "}")
                .isEqualTo("{\"path\":\"a/b\",\"value\":\"say \\\"hi\\\"\\n\",\"type\":\"string\",\"seq\":3}");
        assertThat(Values.leafFields(new LeafChange("a/n", TreeValue.of(5L), 4))).contains("\"value\":5,\"type\":\"int\"");
        assertThat(Values.leafFields(new LeafChange("a/d", null, 9))).isEqualTo("\"path\":\"a/d\",\"value\":null,\"type\":null,\"seq\":9");
        assertThat(Values.leafText(new LeafChange("a/d", null, 9))).isEqualTo("a/d deleted");
        assertThat(Values.json(TreeValue.of(Double.NaN))).isEqualTo("\"NaN\"");
        assertThat(Values.quote("tab\there\u0001\\ é")).isEqualTo("\"tab\\there\\u0001\\\\ é\"");
    }
}
