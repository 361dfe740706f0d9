package dev.ferry.storage.s3;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * One real S3 server per test JVM: s3proxy with its in-memory ({@code transient}) blob store on a
 * free loopback port, with signature checking on. Each test gets a fresh bucket, so tests share the
 * server but no state. Started on first use; stopped when the JVM exits.
 */
public final class TestS3 {
  static final String ACCESS_KEY = "AKIAFERRYTEST0000001";
  static final String SECRET_KEY = "ferrySecret/do-not-print+0123456789abcdef";

  private static TestS3 instance;

  private final S3Proxy proxy;
  private final URI endpoint;
  private final S3Client admin;
  private final AtomicInteger buckets = new AtomicInteger();

  private TestS3() throws Exception {
    proxy =
        S3Proxy.builder()
            .blobStore(new TransientNio2BlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start(); // Jetty's start() returns once the connector is bound
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    admin =
        S3Client.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .endpointOverride(endpoint)
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .build();
  }

  public static synchronized TestS3 get() {
    if (instance == null) {
      try {
        instance = new TestS3();
      } catch (Exception e) {
        throw new IllegalStateException("s3proxy did not start", e);
      }
      TestS3 started = instance;
      Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "s3proxy-stop"));
    }
    return instance;
  }

  private void stop() {
    admin.close();
    try {
      proxy.stop();
    } catch (Exception e) {
      // the JVM is exiting
    }
  }

  URI endpoint() {
    return endpoint;
  }

  /** A new, empty bucket. */
  public String newBucket() {
    String name = "ferry-test-" + buckets.incrementAndGet();
    admin.createBucket(b -> b.bucket(name));
    return name;
  }

  /** {@code s3://bucket/prefix?endpoint=...&region=us-east-1} (path style by default). */
  public URI uri(String bucket, String prefix) {
    return URI.create(
        "s3://"
            + bucket
            + (prefix.isEmpty() ? "" : "/" + prefix)
            + "?endpoint="
            + endpoint
            + "&region=us-east-1");
  }

  public Map<String, String> credentials() {
    return Map.of("accessKeyId", ACCESS_KEY, "secretAccessKey", SECRET_KEY);
  }

  /** Stores an object behind the endpoint's back (foreign keys, neighbours of a prefix). */
  void putRaw(String bucket, String key, String content) {
    admin.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(content));
  }

  /** Multipart uploads in progress in {@code bucket}. */
  public List<MultipartUpload> openUploads(String bucket) {
    return new ArrayList<>(admin.listMultipartUploads(b -> b.bucket(bucket)).uploads());
  }

  /** A client with the server's credentials, for looking behind an endpoint's back. */
  public S3Client admin() {
    return admin;
  }
}
