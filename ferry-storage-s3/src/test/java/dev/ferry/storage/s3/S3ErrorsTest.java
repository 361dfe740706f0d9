package dev.ferry.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ErrorsTest {
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  private final S3Errors errors = new S3Errors(List.of("AKIDEXAMPLE", SECRET));

  @Test
  void shouldClassifyByStatusAndCode() {
    assertClass(404, "NoSuchKey", ErrorClass.NOT_FOUND, false);
    assertClass(404, "NoSuchBucket", ErrorClass.NOT_FOUND, false);
    assertClass(403, "AccessDenied", ErrorClass.PERMISSION, false);
    assertClass(403, "SignatureDoesNotMatch", ErrorClass.PERMISSION, false);
    assertClass(500, "InternalError", ErrorClass.IO, true);
    assertClass(503, "SlowDown", ErrorClass.IO, true);
    assertClass(429, "TooManyRequests", ErrorClass.IO, true);
    assertClass(400, "RequestTimeout", ErrorClass.IO, true);
    assertClass(400, "BadDigest", ErrorClass.CHECKSUM_MISMATCH, true);
    assertClass(301, "PermanentRedirect", ErrorClass.UNSUPPORTED, false);
    assertClass(400, "AuthorizationHeaderMalformed", ErrorClass.UNSUPPORTED, false);
    assertClass(501, "NotImplemented", ErrorClass.UNSUPPORTED, false);
    assertClass(400, "EntityTooSmall", ErrorClass.IO, false);

    StorageException noResponse =
        errors.translate("stat 'k' at s3://b", SdkClientException.create("Connection refused"));
    assertThat(noResponse.errorClass()).isEqualTo(ErrorClass.IO);
    assertThat(noResponse.retryable()).isTrue();
    assertThat(noResponse).hasMessage("stat 'k' at s3://b: Connection refused");
  }

  @Test
  void shouldNameOperationCodeAndRequestIdButNoSecret() {
    S3Exception e = s3Exception(403, "InvalidAccessKeyId", "Key AKIDEXAMPLE / " + SECRET + " bad");

    StorageException translated = errors.translate("reading 'a/b' at s3://bucket", e);

    assertThat(translated)
        .hasMessage(
            "reading 'a/b' at s3://bucket: access denied (HTTP 403 InvalidAccessKeyId: Key ****"
                + " / **** bad; request id req-1)");
    for (Throwable t = translated; t != null; t = t.getCause()) {
      assertThat(t.toString()).doesNotContain("AKIDEXAMPLE", SECRET);
    }
    assertThat(translated.getCause().getStackTrace()).isEqualTo(e.getStackTrace());
  }

  @Test
  void shouldKeepTheOriginalCauseWhenItHoldsNoSecret() {
    S3Exception e = s3Exception(404, "NoSuchKey", "The specified key does not exist.");
    assertThat(errors.translate("x", e).getCause()).isSameAs(e);
  }

  private void assertClass(int status, String code, ErrorClass expected, boolean retryable) {
    StorageException e = errors.translate("op", s3Exception(status, code, "message"));
    assertThat(e.errorClass()).as(code).isEqualTo(expected);
    assertThat(e.retryable()).as(code + " retryable").isEqualTo(retryable);
  }

  private static S3Exception s3Exception(int status, String code, String message) {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .requestId("req-1")
            .message(message)
            .awsErrorDetails(
                AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
            .build();
  }
}
