package dev.ferry.telemetry.aggregate;

import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.telemetry.Facts;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming reader must answer exactly what the data-binding path answers ({@link
 * FactReader#readSlow}, the code before it), and must actually take the fast path for the control
 * plane's ordinary facts.
 */
class FactReaderTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void shouldReadTheControlPlanesFactsOnTheFastPathWithTheSameResult() {
    List<Facts.Builder> facts =
        List.of(
            fact(T0),
            fact(T0.plusMillis(123)).link("SITE_A", "SITE_C").succeeded(0, 0),
            fact(T0.plusNanos(1)).skipped(),
            fact(T0.plusNanos(123_456_789)).failed("io", true).attempt(2).duration(1_234),
            fact(T0).failed("timeout", false).attempt(Integer.MAX_VALUE),
            fact(T0).succeeded(Long.MAX_VALUE, Long.MAX_VALUE),
            fact(Instant.parse("1999-12-31T23:59:59.999Z")).tenant("t2"),
            fact(Instant.parse("2024-02-29T00:00:00.5Z")));
    for (Facts.Builder b : facts) {
      byte[] json = b.json();
      FactReader.Result fast = FactReader.readFast(json);

      assertThat(fast)
          .as(new String(json, StandardCharsets.UTF_8))
          .isInstanceOf(FactReader.Fact.class);
      assertThat(fast).isEqualTo(FactReader.readSlow(json)).isEqualTo(FactReader.read(json));
      assertThat(((FactReader.Fact) fast).fact()).isEqualTo(b.toFact());
    }
  }

  @Test
  void shouldIgnoreOtherTypesOnTheFastPath() {
    String other =
        "{\"id\":\"x1\",\"source\":\"/ferry/control\",\"type\":\"dev.ferry.job.submitted\","
            + "\"specversion\":\"1.0\",\"time\":\"2026-03-01T10:00:00Z\",\"tenant\":\"t\","
            + "\"subject\":null,\"dataschema\":\"dev.ferry.job.submitted/1\",\"data\":null}";
    byte[] json = other.getBytes(StandardCharsets.UTF_8);

    assertThat(FactReader.readFast(json))
        .isEqualTo(new FactReader.OtherType("dev.ferry.job.submitted"));
    assertThat(FactReader.readSlow(json)).isEqualTo(FactReader.readFast(json));
  }

  @Test
  void shouldAnswerOddAndInvalidRecordsExactlyAsDataBindingDoes() {
    String ok =
        "{\"id\":\"e1\",\"type\":\"dev.ferry.transfer.completed\",\"time\":\"2026-03-01T10:00:00Z\","
            + "\"tenant\":\"t1\",\"dataschema\":\"dev.ferry.transfer.completed/1\","
            + "\"data\":{\"sourceSite\":\"A\",\"destinationSite\":\"B\",\"outcome\":\"failed\","
            + "\"bytes\":5,\"taskDurationMillis\":7,\"errorClass\":\"io\",\"retryable\":true,"
            + "\"attempt\":3}}";
    List<String> corpus = new ArrayList<>();
    corpus.add(ok);
    corpus.add(ok.replace("\"tenant\":\"t1\",", "")); // no tenant anywhere
    corpus.add(ok.replace("\"data\":{", "\"data\":{\"tenant\":\" \",")); // blank payload tenant
    corpus.add(ok.replace("\"data\":{", "\"data\":{\"tenant\":7,")); // a number: not text
    corpus.add(ok.replace("2026-03-01T10:00:00Z", "2026-03-01T11:00:00+01:00")); // an offset
    corpus.add(ok.replace("2026-03-01T10:00:00Z", "2026-02-30T10:00:00Z")); // no such day
    corpus.add(ok.replace("2026-03-01T10:00:00Z", "2026-03-01T23:59:60Z")); // a leap second
    corpus.add(ok.replace("2026-03-01T10:00:00Z", "yesterday"));
    corpus.add(ok.replace("\"time\":\"2026-03-01T10:00:00Z\"", "\"time\":1772359200"));
    corpus.add(ok.replace("\"time\":\"2026-03-01T10:00:00Z\",", "")); // no time
    corpus.add(ok.replace("\"id\":\"e1\"", "\"id\":42")); // a number as id
    corpus.add(ok.replace("\"id\":\"e1\",", "")); // no id
    corpus.add(ok.replace("completed/1", "completed/2")); // unknown version
    corpus.add(ok.replace("\"outcome\":\"failed\"", "\"outcome\":\"lost\""));
    corpus.add(ok.replace("\"outcome\":\"failed\"", "\"outcome\":null"));
    corpus.add(ok.replace("\"bytes\":5", "\"bytes\":\"many\""));
    corpus.add(ok.replace("\"bytes\":5", "\"bytes\":-5"));
    corpus.add(ok.replace("\"bytes\":5", "\"bytes\":null"));
    corpus.add(ok.replace("\"bytes\":5", "\"bytes\":5.5"));
    corpus.add(ok.replace("\"bytes\":5", "\"bytes\":99999999999999999999"));
    corpus.add(ok.replace("\"attempt\":3", "\"attempt\":3.7"));
    corpus.add(ok.replace("\"attempt\":3", "\"attempt\":\"3\""));
    corpus.add(ok.replace("\"retryable\":true", "\"retryable\":\"yes\""));
    corpus.add(ok.replace("\"errorClass\":\"io\"", "\"errorClass\":\"\""));
    corpus.add(ok.replace("\"destinationSite\":\"B\",", "")); // no destination
    corpus.add(ok.replace("\"data\":{", "\"data\":{\"sourceSite\":\"Z\",")); // repeated
    corpus.add(ok.replace("\"id\":\"e1\"", "\"id\":\"e1\",\"id\":\"e2\"")); // repeated id
    corpus.add(ok.replace("\"data\":{", "\"data\":{\"nested\":{\"a\":[1,{\"b\":2}]},"));
    corpus.add(ok.replace("\"dataschema\"", "\"extra\":[1,2,3],\"dataschema\""));
    corpus.add(ok.replace("\"data\":{", "\"data\":[").replace("}}", "]}")); // data an array
    corpus.add(ok.replace("\"type\":\"dev.ferry.transfer.completed\"", "\"type\":\"other\""));
    corpus.add(ok + " {}"); // trailing content
    corpus.add(ok.substring(0, ok.length() - 1)); // truncated
    corpus.add("not json");
    corpus.add("[]");
    corpus.add("");
    for (String s : corpus) {
      byte[] json = s.getBytes(StandardCharsets.UTF_8);
      assertThat(FactReader.read(json)).as(s).isEqualTo(FactReader.readSlow(json));
    }
    assertThat(FactReader.read(null)).isEqualTo(new FactReader.Invalid("null value"));
    // the plain one is read on the fast path, with every field
    assertThat(FactReader.readFast(ok.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(
            new FactReader.Fact(
                new TransferFact("e1", T0, "t1", "A", "B", Outcome.FAILED, 5, 7, "io", true, 3)));
  }

  @Test
  void shouldParseTheCanonicalInstantLikeInstantParse() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      Instant t =
          Instant.ofEpochSecond(
              random.nextLong(-62_000_000_000L, 253_000_000_000L),
              switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
              });
      char[] s = ("xx" + t + "yy").toCharArray();
      assertThat(FactReader.parseInstant(s, 2, s.length - 4)).as(t.toString()).isEqualTo(t);
    }
    for (String odd :
        List.of(
            "2026-03-01T10:00:00+01:00",
            "2026-03-01T10:00:00.Z",
            "2026-03-01T10:00:00.1234567891Z",
            "2026-03-01 10:00:00Z",
            "+12026-03-01T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T10:00:0xZ")) {
      char[] s = odd.toCharArray();
      assertThat(FactReader.parseInstant(s, 0, s.length)).as(odd).isNull();
    }
  }

  @Test
  void shouldGiveTheSameFactsThroughAStringPoolWithOneInstancePerValue() {
    StringPool pool = new StringPool(4); // tiny: slots collide and are replaced
    List<TransferFact> read = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      Facts.Builder b =
          fact(T0.plusSeconds(i)).link("SITE_" + (i % 7), "SITE_X").tenant("t" + (i % 3));
      FactReader.Result r = FactReader.read(b.json(), pool);
      assertThat(r).isEqualTo(FactReader.read(b.json())).isEqualTo(new FactReader.Fact(b.toFact()));
      read.add(((FactReader.Fact) r).fact());
    }
    StringPool big = new StringPool(1_024);
    TransferFact a = ((FactReader.Fact) FactReader.read(fact(T0).json(), big)).fact();
    TransferFact b = ((FactReader.Fact) FactReader.read(fact(T0).json(), big)).fact();
    assertThat(b.tenant()).isSameAs(a.tenant());
    assertThat(b.sourceSite()).isSameAs(a.sourceSite());
    assertThat(b.destinationSite()).isSameAs(a.destinationSite());
    assertThat(b.eventId()).isNotEqualTo(a.eventId());
  }

  @Test
  void shouldPoolOnlyEqualStrings() {
    StringPool pool = new StringPool(2);
    char[] c = "abcAaBBx".toCharArray(); // "Aa" and "BB" have the same hash
    String aa = pool.get(c, 3, 2);
    assertThat(aa).isEqualTo("Aa");
    assertThat(pool.get(c, 5, 2)).isEqualTo("BB");
    assertThat(pool.get(c, 0, 3)).isEqualTo("abc");
    assertThat(pool.get(c, 0, 0)).isEmpty();
    char[] longValue = "x".repeat(100).toCharArray();
    assertThat(pool.get(longValue, 0, 100)).isEqualTo("x".repeat(100));
  }
}
