package dev.ferry.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.net.URI;
import org.junit.jupiter.api.Test;

class S3LocationTest {

  @Test
  void shouldParseCustomEndpointWithPathStyleByDefault() {
    S3Location location =
        S3Location.parse(
            URI.create("s3://my-bucket/data/in/?endpoint=http://127.0.0.1:9000/&region=eu-west-1"));

    assertThat(location.bucket()).isEqualTo("my-bucket");
    assertThat(location.keyPrefix()).isEqualTo("data/in/");
    assertThat(location.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
    assertThat(location.region()).isEqualTo("eu-west-1");
    assertThat(location.pathStyle()).isTrue();
    assertThat(location.uri())
        .isEqualTo(
            "s3://my-bucket/data/in?endpoint=http://127.0.0.1:9000&region=eu-west-1&pathStyle=true");
    assertThat(S3Location.parse(URI.create(location.uri()))).isEqualTo(location);
  }

  @Test
  void shouldDefaultToAwsVirtualHostedStyleInUsEast1() {
    S3Location location = S3Location.parse(URI.create("s3://bucket"));

    assertThat(location.keyPrefix()).isEmpty();
    assertThat(location.endpoint()).isNull();
    assertThat(location.region()).isEqualTo("us-east-1");
    assertThat(location.pathStyle()).isFalse();
    assertThat(location.uri()).isEqualTo("s3://bucket?region=us-east-1&pathStyle=false");
    assertThat(
            S3Location.parse(URI.create("s3://b1?endpoint=https://minio:9000&pathStyle=false"))
                .pathStyle())
        .isFalse();
  }

  @Test
  void shouldRejectBadConfigurationAsUnsupported() {
    String[][] cases = {
      {"s3://bucket?secretAccessKey=abc", "unknown query parameter(s) [secretAccessKey]"},
      {"s3://bucket?pathStyle=yes", "pathStyle must be true or false"},
      {"s3://bucket?endpoint=ftp://host", "http or https"},
      {"s3://bucket?endpoint=http://user:pw@host", "must not carry credentials"},
      {"s3://bucket?region=Mars%201", "region 'Mars 1' is malformed"},
      {"s3://bucket?region=a&region=b", "given twice"},
      {"s3://bucket:9000/x", "bucket name missing or malformed"},
      {"s3:///x", "bucket name missing or malformed"},
      {"s3://bucket/a/../b", "key prefix is invalid: contains a '..' segment"},
      {"s3://bucket//a", "key prefix is invalid: is absolute"},
      {"file:///tmp", "scheme must be s3"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> S3Location.parse(URI.create(c[0])))
          .as(c[0])
          .isInstanceOfSatisfying(
              StorageException.class,
              e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.UNSUPPORTED))
          .hasMessageContaining(c[1])
          .hasMessageNotContaining("abc")
          .hasMessageNotContaining("pw");
    }
  }
}
