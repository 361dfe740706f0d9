package dev.ferry.model.webhook;

import static dev.ferry.model.webhook.StandardWebhooksVector.ID;
import static dev.ferry.model.webhook.StandardWebhooksVector.SIGNATURE;
import static dev.ferry.model.webhook.StandardWebhooksVector.TIMESTAMP;
import static dev.ferry.model.webhook.StandardWebhooksVector.TIMESTAMP_HEADER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.webhook.WebhookVerifier.Failure;
import dev.ferry.model.webhook.WebhookVerifier.VerificationException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookVerifierTest {
  private static final Duration TOLERANCE = Duration.ofMinutes(5);
  private static final Clock CLOCK = Clock.fixed(TIMESTAMP, ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final WebhookSecret REFERENCE = WebhookSecret.parse(StandardWebhooksVector.SECRET);
  private static final WebhookSecret OLD = WebhookSecret.generate(RANDOM);
  private static final WebhookSecret NEW = WebhookSecret.generate(RANDOM);

  /** A signature that is well-formed base64 of 32 bytes but not of this message. */
  private static final String FOREIGN = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

  private final byte[] body = StandardWebhooksVector.body();

  @Test
  void shouldAcceptTheStandardWebhooksReferenceVector() {
    assertThatCode(() -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, SIGNATURE, body))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldAcceptWhatTheSignerSigned() {
    WebhookSecret secret = WebhookSecret.generate(RANDOM);
    byte[] payload = "{\"taskId\":\"t-1\",\"attempt\":3}".getBytes(StandardCharsets.UTF_8);
    String signature = new WebhookSigner(secret).sign("msg_42", TIMESTAMP, payload);

    assertThatCode(() -> verifier(secret).verify("msg_42", TIMESTAMP_HEADER, signature, payload))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldRejectABadSignature() {
    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, "v1," + FOREIGN, body));
  }

  @Test
  void shouldRejectASignatureMadeWithAnotherSecret() {
    String signature = new WebhookSigner(OLD).sign(ID, TIMESTAMP, body);

    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, signature, body));
  }

  @Test
  void shouldRejectATamperedBody() {
    byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);
    byte[] padded = "{\"test\": 2432232314} ".getBytes(StandardCharsets.UTF_8);

    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, SIGNATURE, tampered));
    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, SIGNATURE, padded));
  }

  @Test
  void shouldRejectATamperedId() {
    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID + "x", TIMESTAMP_HEADER, SIGNATURE, body));
  }

  @Test
  void shouldRejectASignatureReplayedUnderAnotherTimestamp() {
    String oneSecondLater = Long.toString(TIMESTAMP.getEpochSecond() + 1);

    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID, oneSecondLater, SIGNATURE, body));
  }

  @Test
  void shouldRejectAnExpiredTimestamp() {
    Instant sent = TIMESTAMP.minus(TOLERANCE).minusSeconds(1);
    String signature = new WebhookSigner(REFERENCE).sign(ID, sent, body);

    assertThatThrownBy(() -> verifier(REFERENCE).verify(ID, header(sent), signature, body))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.EXPIRED_TIMESTAMP))
        .hasMessageContaining(header(sent))
        .hasMessageContaining("PT5M")
        .hasMessageContaining(TIMESTAMP_HEADER);
  }

  @Test
  void shouldRejectATimestampTooFarInTheFuture() {
    Instant sent = TIMESTAMP.plus(TOLERANCE).plusSeconds(1);
    String signature = new WebhookSigner(REFERENCE).sign(ID, sent, body);

    assertRejected(
        Failure.EXPIRED_TIMESTAMP,
        () -> verifier(REFERENCE).verify(ID, header(sent), signature, body));
  }

  @ParameterizedTest
  @ValueSource(longs = {-300, -1, 0, 1, 300})
  void shouldAcceptTimestampsWithinTheToleranceEdgesIncluded(long offsetSeconds) {
    Instant sent = TIMESTAMP.plusSeconds(offsetSeconds);
    String signature = new WebhookSigner(REFERENCE).sign(ID, sent, body);

    assertThatCode(() -> verifier(REFERENCE).verify(ID, header(sent), signature, body))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldRejectATimestampBeyondTheRangeOfInstantAsExpired() {
    // More seconds than Instant.MAX holds; used to escape as a DateTimeException.
    assertRejected(
        Failure.EXPIRED_TIMESTAMP,
        () -> verifier(REFERENCE).verify(ID, "999999999999999999", SIGNATURE, body));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "abc",
        "1614265330.5",
        "1614265330abc",
        "16142 65330",
        "-1614265330",
        "+1614265330",
        "1.6e9",
        "0x6038fdf2",
        "١٦١٤٢٦٥٣٣٠",
        "99999999999999999999999"
      })
  void shouldRejectAMalformedTimestamp(String timestamp) {
    assertRejected(
        Failure.MALFORMED_TIMESTAMP,
        () -> verifier(REFERENCE).verify(ID, timestamp, SIGNATURE, body));
  }

  static Stream<Arguments> missingHeaders() {
    return Stream.of(
        Arguments.of(null, TIMESTAMP_HEADER, SIGNATURE),
        Arguments.of("", TIMESTAMP_HEADER, SIGNATURE),
        Arguments.of("  ", TIMESTAMP_HEADER, SIGNATURE),
        Arguments.of(ID, null, SIGNATURE),
        Arguments.of(ID, "", SIGNATURE),
        Arguments.of(ID, " ", SIGNATURE),
        Arguments.of(ID, TIMESTAMP_HEADER, null),
        Arguments.of(ID, TIMESTAMP_HEADER, ""),
        Arguments.of(ID, TIMESTAMP_HEADER, "  "),
        Arguments.of(null, null, null));
  }

  @ParameterizedTest
  @MethodSource("missingHeaders")
  void shouldRejectMissingHeaders(String id, String timestamp, String signature) {
    assertRejected(
        Failure.MISSING_HEADERS, () -> verifier(REFERENCE).verify(id, timestamp, signature, body));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "v1," + FOREIGN + " " + SIGNATURE,
        SIGNATURE + " v1," + FOREIGN,
        "v1," + FOREIGN + "   " + SIGNATURE + " v1," + FOREIGN,
        "  " + SIGNATURE + "  "
      })
  void shouldAcceptWhenAnyOfSeveralSignaturesMatches(String header) {
    assertThatCode(() -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, header, body))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldRejectWhenNoneOfSeveralSignaturesMatches() {
    String header = "v1," + FOREIGN + " v1,AAAA" + " v1,";

    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, header, body));
  }

  @Test
  void shouldAcceptBothTheOldAndTheNewSecretDuringARotation() {
    WebhookVerifier rotating = verifier(OLD, NEW);
    String byOld = new WebhookSigner(OLD).sign(ID, TIMESTAMP, body);
    String byNew = new WebhookSigner(NEW).sign(ID, TIMESTAMP, body);
    String byNeither = new WebhookSigner(REFERENCE).sign(ID, TIMESTAMP, body);

    assertThatCode(() -> rotating.verify(ID, TIMESTAMP_HEADER, byOld, body))
        .doesNotThrowAnyException();
    assertThatCode(() -> rotating.verify(ID, TIMESTAMP_HEADER, byNew, body))
        .doesNotThrowAnyException();
    assertRejected(
        Failure.BAD_SIGNATURE, () -> rotating.verify(ID, TIMESTAMP_HEADER, byNeither, body));
  }

  @Test
  void shouldAcceptASenderSigningWithBothSecretsBeforeTheReceiverHasRotated() {
    String both =
        new WebhookSigner(OLD).sign(ID, TIMESTAMP, body)
            + " "
            + new WebhookSigner(NEW).sign(ID, TIMESTAMP, body);

    assertThatCode(() -> verifier(OLD).verify(ID, TIMESTAMP_HEADER, both, body))
        .doesNotThrowAnyException();
    assertThatCode(() -> verifier(NEW).verify(ID, TIMESTAMP_HEADER, both, body))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"v2,", "v1a,", "V1,", "v0,", ",", "v1"})
  void shouldIgnoreSignaturesWithAnotherVersion(String prefix) {
    String correctBase64 = SIGNATURE.substring("v1,".length());

    assertRejected(
        Failure.BAD_SIGNATURE,
        () -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, prefix + correctBase64, body));
  }

  @Test
  void shouldStillAcceptAV1SignatureNextToSignaturesOfOtherVersions() {
    String correctBase64 = SIGNATURE.substring("v1,".length());
    String header =
        "v2," + correctBase64 + " no-comma-at-all v1a," + correctBase64 + " " + SIGNATURE;

    assertThatCode(() -> verifier(REFERENCE).verify(ID, TIMESTAMP_HEADER, header, body))
        .doesNotThrowAnyException();
  }

  @Test
  void shouldRequireAtLeastOneSecret() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new WebhookVerifier(List.of(), CLOCK, TOLERANCE))
        .withMessageContaining("at least one");
  }

  @Test
  void shouldRejectANegativeToleranceAndNullCollaborators() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new WebhookVerifier(List.of(OLD), CLOCK, Duration.ofSeconds(-1)))
        .withMessageContaining("PT-1S");
    assertThatNullPointerException()
        .isThrownBy(() -> new WebhookVerifier(List.of(OLD), null, TOLERANCE));
    assertThatNullPointerException()
        .isThrownBy(() -> new WebhookVerifier(List.of(OLD), CLOCK, null));
    assertThatNullPointerException()
        .isThrownBy(() -> verifier(OLD).verify(ID, TIMESTAMP_HEADER, SIGNATURE, null));
  }

  private static WebhookVerifier verifier(WebhookSecret... secrets) {
    return new WebhookVerifier(List.of(secrets), CLOCK, TOLERANCE);
  }

  private static String header(Instant sent) {
    return Long.toString(sent.getEpochSecond());
  }

  private static void assertRejected(Failure expected, ThrowingCallable verification) {
    assertThatThrownBy(verification)
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(expected));
  }
}
