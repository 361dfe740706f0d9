package dev.ferry.storage.s3;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.ListPage;
import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.ServerSideChecksum;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An endpoint on a bucket prefix of Amazon S3 or an S3-compatible server, through the AWS SDK v2
 * with the JDK's {@code HttpURLConnection} as HTTP client.
 *
 * <p><b>Addressing.</b> {@code s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1
 * &pathStyle=true}: the key of path {@code a/b} is {@code prefix/a/b}. Without {@code endpoint} the
 * endpoint is AWS (virtual-hosted style, cross-region access allowed); with it, path style is the
 * default. {@code region} defaults to {@code us-east-1}. Unknown parameters are rejected.
 *
 * <p><b>Credentials</b> come from the endpoint's credentials map: {@code accessKeyId} and {@code
 * secretAccessKey}, optionally {@code sessionToken}; none at all means anonymous requests (public
 * buckets). The worker's ambient AWS identity (environment, instance profile) is never used, so one
 * tenant's endpoint cannot borrow the worker's rights. Credentials are not logged, not in {@link
 * #uri()} or {@link #toString()}, and are scrubbed from exception messages.
 *
 * <p><b>Objects and listing.</b> There are no directories: {@link #stat} of a "directory" is empty,
 * {@link #delete} of one returns false. Listings use ListObjectsV2 and skip keys that no {@link
 * RelativePath} names (folder markers ending in '/', {@code a//b}, {@code ./a}) and Ferry temporary
 * names ({@value LocalFileSystemEndpoint#TEMP_PREFIX}...), so what is listed can be read. The page
 * token is the last path of the previous page, sent as {@code start-after}; within one page, S3's
 * continuation tokens are followed until the page is full. Ordering is S3's: UTF-8 byte order,
 * which equals {@link String#compareTo} except between characters above U+FFFF and characters
 * U+E000–U+FFFF.
 *
 * <p><b>Writes</b> never create an object under a temporary name (see {@link #beginWrite}). Objects
 * up to the part size go up in one PutObject on commit; larger ones as a multipart upload to the
 * final key that {@code CompleteMultipartUpload} publishes atomically. Every request body carries
 * its CRC32C ({@code x-amz-checksum-crc32c}), which the server checks; multipart uploads use {@code
 * FULL_OBJECT} CRC32C, so every object Ferry writes has a whole-object CRC32C that {@link
 * #checksum} returns without reading the bytes.
 *
 * <p>Thread-safe: one instance (one SDK client and connection pool) serves concurrent copies.
 */
public final class S3Endpoint implements StorageEndpoint, MultipartResume, ServerSideChecksum {

  /** S3's smallest part (except the last). */
  public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

  /** Part size of {@link #beginWrite}; also the largest object sent in a single PutObject. */
  public static final long DEFAULT_PART_SIZE = 8L * 1024 * 1024;

  /**
   * Largest part size: a part is held in memory until it is uploaded, so it must fit a byte array.
   */
  public static final long MAX_PART_SIZE = 1024L * 1024 * 1024;

  /** S3's limit of parts per upload. */
  public static final int MAX_PARTS = 10_000;

  static final int MAX_KEY_BYTES = 1024;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Longest silence while waiting for a response, e.g. S3 assembling a large completed upload. */
  private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(120);

  private static final int MAX_KEYS_PER_REQUEST = 1000;
  private static final Set<String> CREDENTIAL_KEYS =
      Set.of("accessKeyId", "secretAccessKey", "sessionToken");
  private static final HexFormat HEX = HexFormat.of();

  /**
   * Knobs that are the worker's business rather than the endpoint URI's.
   *
   * @param partSize part size of {@link #beginWrite}
   * @param spoolDirectory where {@link PendingWrite#readBack()} copies are kept; null for {@code
   *     java.io.tmpdir}
   * @param client customizes the SDK client after Ferry's settings (tests add interceptors)
   */
  record Settings(long partSize, Path spoolDirectory, Consumer<S3ClientBuilder> client) {
    static final Settings DEFAULT = new Settings(DEFAULT_PART_SIZE, null, b -> {});

    Settings {
      checkPartSize(partSize, "part size");
    }
  }

  private final S3Location location;
  private final String uri;
  private final S3Client client;
  private final S3Errors errors;
  private final Settings settings;

  /** False once the server answered a ListParts with part-number-marker or max-parts with 501. */
  private volatile boolean rangedListParts = true;

  private S3Endpoint(S3Location location, S3Client client, S3Errors errors, Settings settings) {
    this.location = location;
    this.uri = location.uri();
    this.client = client;
    this.errors = errors;
    this.settings = settings;
  }

  /**
   * Opens the endpoint at {@code uri}. No request is made: a wrong bucket or wrong credentials show
   * in the first operation.
   *
   * @param credentials {@code accessKeyId} + {@code secretAccessKey} (+ {@code sessionToken}), or
   *     empty for anonymous access
   * @throws StorageException {@code unsupported} for a malformed URI or credentials map, naming the
   *     endpoint and the problem but no secret
   */
  public static S3Endpoint open(URI uri, Map<String, String> credentials) {
    return open(uri, credentials == null ? Map.of() : credentials, Settings.DEFAULT);
  }

  static S3Endpoint open(URI uri, Map<String, String> credentials, Settings settings) {
    S3Location location = S3Location.parse(uri);
    AwsCredentialsProvider provider = credentialsProvider(location, credentials);
    S3Errors errors = new S3Errors(credentials.values().stream().filter(Objects::nonNull).toList());
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(CONNECT_TIMEOUT)
                    .socketTimeout(SOCKET_TIMEOUT))
            .region(Region.of(location.region()))
            .credentialsProvider(provider)
            .forcePathStyle(location.pathStyle())
            // Ferry supplies CRC32C values itself; the SDK's default would add CRC32 trailers in
            // aws-chunked bodies, which S3-compatible servers support unevenly.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (location.endpoint() != null) {
      builder.endpointOverride(location.endpoint());
    } else {
      builder.crossRegionAccessEnabled(true);
    }
    settings.client().accept(builder);
    S3Client client;
    try {
      client = builder.build();
    } catch (SdkException | IllegalArgumentException | NullPointerException e) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "endpoint "
              + location.uri()
              + ": cannot configure the S3 client: "
              + errors.redact(String.valueOf(e.getMessage())),
          errors.scrub(e));
    }
    return new S3Endpoint(location, client, errors, settings);
  }

  private static AwsCredentialsProvider credentialsProvider(
      S3Location location, Map<String, String> credentials) {
    List<String> unknown =
        credentials.keySet().stream().filter(k -> !CREDENTIAL_KEYS.contains(k)).sorted().toList();
    if (!unknown.isEmpty()) {
      // names only: a value might be a secret filed under the wrong name
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "endpoint "
              + location.uri()
              + ": unknown credential(s) "
              + unknown
              + "; expected accessKeyId, secretAccessKey and optionally sessionToken");
    }
    String id = credentials.get("accessKeyId");
    String secret = credentials.get("secretAccessKey");
    String token = credentials.get("sessionToken");
    if (id == null && secret == null && token == null) {
      return AnonymousCredentialsProvider.create();
    }
    if (isBlank(id) || isBlank(secret)) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "endpoint "
              + location.uri()
              + ": credentials need both accessKeyId and secretAccessKey (non-blank)");
    }
    if (token != null && token.isBlank()) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED, "endpoint " + location.uri() + ": sessionToken is blank");
    }
    return StaticCredentialsProvider.create(
        token == null
            ? AwsBasicCredentials.create(id, secret)
            : AwsSessionCredentials.create(id, secret, token));
  }

  private static void checkPartSize(long partSize, String what) {
    if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw new IllegalArgumentException(
          what + " " + partSize + " outside [" + MIN_PART_SIZE + ", " + MAX_PART_SIZE + "]");
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public ListPage list(String prefix, String pageToken, int pageSize) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("page size must be at least 1, got " + pageSize);
    }
    RelativePath base = prefix == null || prefix.isEmpty() ? null : RelativePath.of(prefix);
    String what = "listing " + (base == null ? "" : "'" + base + "' ") + "at " + uri;
    List<StorageEntry> out = new ArrayList<>();
    if (base != null && pageToken == null) {
      // the file named exactly like the prefix sorts before everything below it
      head(base, "listing").ifPresent(out::add);
    }
    String s3Prefix = location.keyPrefix() + (base == null ? "" : base.value() + "/");
    String continuation = null;
    do {
      int want = (int) Math.min(MAX_KEYS_PER_REQUEST, (long) pageSize + 1 - out.size());
      ListObjectsV2Request.Builder request =
          ListObjectsV2Request.builder()
              .bucket(location.bucket())
              .prefix(s3Prefix.isEmpty() ? null : s3Prefix)
              .maxKeys(want)
              .encodingType(EncodingType.URL);
      if (continuation != null) {
        request.continuationToken(continuation);
      } else if (pageToken != null) {
        request.startAfter(location.keyPrefix() + pageToken);
      }
      ListObjectsV2Response response = call(what, () -> client.listObjectsV2(request.build()));
      for (S3Object object : response.contents()) {
        listed(object).ifPresent(out::add);
        if (out.size() > pageSize) {
          break;
        }
      }
      continuation =
          Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
    } while (continuation != null && out.size() <= pageSize);
    // one entry more than the page holds tells that there is more
    if (out.size() <= pageSize) {
      return new ListPage(out, null);
    }
    List<StorageEntry> page = out.subList(0, pageSize);
    return new ListPage(page, page.get(pageSize - 1).path());
  }

  /** The entry for a listed object, empty when no relative path names it. */
  private Optional<StorageEntry> listed(S3Object object) {
    String key = object.key();
    if (key == null || !key.startsWith(location.keyPrefix())) {
      return Optional.empty();
    }
    String rel = key.substring(location.keyPrefix().length());
    RelativePath path;
    try {
      path = RelativePath.of(rel);
    } catch (InvalidPathException e) {
      return Optional.empty();
    }
    if (!path.value().equals(rel) || path.name().startsWith(LocalFileSystemEndpoint.TEMP_PREFIX)) {
      return Optional.empty();
    }
    return Optional.of(
        new StorageEntry(
            rel,
            object.size() == null ? 0 : object.size(),
            object.lastModified() == null ? Instant.EPOCH : object.lastModified()));
  }

  @Override
  public Optional<StorageEntry> stat(String path) {
    return head(RelativePath.of(path), "stat");
  }

  private Optional<StorageEntry> head(RelativePath rel, String operation) {
    return headObject(rel, operation, false)
        .map(
            h ->
                new StorageEntry(
                    rel.value(),
                    h.contentLength() == null ? 0 : h.contentLength(),
                    h.lastModified() == null ? Instant.EPOCH : h.lastModified()));
  }

  private Optional<HeadObjectResponse> headObject(
      RelativePath rel, String operation, boolean checksums) {
    String key = key(rel);
    try {
      return Optional.of(
          client.headObject(
              b -> {
                b.bucket(location.bucket()).key(key);
                if (checksums) {
                  b.checksumMode(ChecksumMode.ENABLED);
                }
              }));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure(operation, rel, e);
    } catch (SdkException e) {
      throw failure(operation, rel, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A ranged GetObject; the stream is the HTTP response body, so close it (closing early drops
   * the connection instead of draining it). Failures while reading are {@link
   * java.io.IOException}s.
   */
  @Override
  public InputStream openRange(String path, long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "negative offset " + offset + " or length " + length + " for " + path);
    }
    RelativePath rel = RelativePath.of(path);
    if (length == 0) {
      if (head(rel, "opening").isEmpty()) {
        throw new StorageException(
            ErrorClass.NOT_FOUND, "opening " + describe(rel) + ": not found");
      }
      return InputStream.nullInputStream();
    }
    GetObjectRequest.Builder request =
        GetObjectRequest.builder().bucket(location.bucket()).key(key(rel));
    if (offset > 0 || length != Long.MAX_VALUE) {
      boolean toEnd = length > Long.MAX_VALUE - offset;
      request.range("bytes=" + offset + "-" + (toEnd ? "" : Long.toString(offset + length - 1)));
    }
    try {
      return client.getObject(request.build());
    } catch (S3Exception e) {
      if (e.statusCode() == 416) {
        return InputStream.nullInputStream(); // the object exists, the range starts past its end
      }
      throw failure("opening", rel, e);
    } catch (SdkException e) {
      throw failure("opening", rel, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Nothing is sent before a part fills: the content collects in a part buffer in memory (8 MiB
   * by default). An object that fits one part is sent by a single PutObject on commit; a larger one
   * becomes a multipart upload to the final key, one part per buffer, published by {@code
   * CompleteMultipartUpload} on commit and aborted by {@code abort()}. Nothing is visible at the
   * key before commit, and the previous object stays readable until then.
   *
   * <p>{@link PendingWrite#readBack()}: S3 cannot read an unfinished upload, so uploaded parts are
   * also written to a local spool file (0600, in {@code java.io.tmpdir}; deleted on commit, abort
   * and close). Read-back returns the spool plus the buffer, after ListParts confirmed the parts'
   * sizes (and CRC32C, where the server reports them), re-checking each spooled part's CRC32C
   * against the one the server verified on upload. An object of one part has not been sent when it
   * is read back; the server's check of its CRC32C on commit guards the transfer.
   */
  @Override
  public PendingWrite beginWrite(String path) {
    RelativePath rel = RelativePath.of(path);
    return S3Write.plain(this, rel, key(rel), (int) settings.partSize());
  }

  /**
   * {@inheritDoc}
   *
   * <p>HeadObject first, then DeleteObject: S3 answers a delete of a missing key with success.
   */
  @Override
  public boolean delete(String path) {
    RelativePath rel = RelativePath.of(path);
    if (head(rel, "deleting").isEmpty()) {
      return false;
    }
    String key = key(rel);
    call("deleting", rel, () -> client.deleteObject(b -> b.bucket(location.bucket()).key(key)));
    return true;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Creates the multipart upload at once (so that the token exists before the first byte) and
   * uploads every part as soon as it is full, so that {@link ResumableWrite#durableBytes()} grows
   * part by part. Closing or aborting the write aborts the upload; a writer that dies without
   * either leaves it for {@link #resume}.
   *
   * @param partSize between {@link #MIN_PART_SIZE} and {@link #MAX_PART_SIZE}
   */
  @Override
  public ResumableWrite beginResumableWrite(String path, long partSize) {
    checkPartSize(partSize, "part size for " + path);
    RelativePath rel = RelativePath.of(path);
    return S3Write.resumable(this, rel, key(rel), (int) partSize);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Lists the upload's parts: the durable prefix is the run of full-size parts 1, 2, ... with no
   * gap and a known CRC32C (reported by the server, or recorded in the token); anything after it (a
   * short last part of a commit that died, parts after a gap) is sent again. {@link
   * PendingWrite#readBack()} of the resumed write fails, since the durable bytes are not held
   * locally; verify the published object with {@link #checksum} instead.
   *
   * <p>Not exclusive: S3 has no way to lock an upload, so every resume of a token gets the write;
   * the first commit publishes, and a stale writer's commit then fails with {@code not-found} (the
   * upload is gone). One attempt per file at a time is the control plane's lease's job.
   *
   * @throws IllegalArgumentException when the token is malformed or belongs to another bucket or
   *     prefix
   * @throws dev.ferry.storage.InvalidPathException when the token's key is no valid path
   */
  @Override
  public Optional<ResumableWrite> resume(String resumeToken) {
    ResumeToken token = ResumeToken.decode(resumeToken);
    if (!token.bucket().equals(location.bucket())
        || !token.key().startsWith(location.keyPrefix())
        || token.partSize() < MIN_PART_SIZE
        || token.partSize() > MAX_PART_SIZE) {
      throw new IllegalArgumentException(
          "resume token for s3://"
              + token.bucket()
              + "/"
              + token.key()
              + " does not belong to endpoint "
              + uri);
    }
    RelativePath rel = RelativePath.of(token.key().substring(location.keyPrefix().length()));
    if (!key(rel).equals(token.key())) {
      throw new IllegalArgumentException(
          "resume token names a key that is not a normalized path: " + token.key());
    }
    return S3Write.resume(this, rel, token);
  }

  /** CRC32C only: the checksum S3 keeps for whole objects ({@code FULL_OBJECT} type). */
  @Override
  public Set<ChecksumAlgorithm> serverSideChecksums() {
    return Set.of(ChecksumAlgorithm.CRC32C);
  }

  /**
   * {@inheritDoc}
   *
   * <p>HeadObject with checksum mode: the object's {@code x-amz-checksum-crc32c} as 8 hex digits.
   * Empty for another algorithm, for objects stored without a CRC32C (uploaded by other tools
   * without one) and for multipart objects with a {@code COMPOSITE} checksum (a checksum of the
   * parts' checksums, which no stream checksum can be compared with).
   *
   * @throws StorageException {@code not-found} when there is no such object
   */
  @Override
  public Optional<String> checksum(String path, ChecksumAlgorithm algorithm) {
    RelativePath rel = RelativePath.of(path);
    if (algorithm != ChecksumAlgorithm.CRC32C) {
      return Optional.empty();
    }
    HeadObjectResponse head =
        headObject(rel, "reading the checksum of", true)
            .orElseThrow(
                () ->
                    new StorageException(
                        ErrorClass.NOT_FOUND,
                        "reading the checksum of " + describe(rel) + ": not found"));
    String value = head.checksumCRC32C();
    if (value == null || value.indexOf('-') >= 0 || head.checksumType() == ChecksumType.COMPOSITE) {
      return Optional.empty();
    }
    try {
      byte[] crc = Base64.getDecoder().decode(value);
      return crc.length == 4 ? Optional.of(HEX.formatHex(crc)) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Closes the SDK client and its connections. */
  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "S3Endpoint[" + uri + "]";
  }

  // --- shared with S3Write -------------------------------------------------------------------

  S3Client client() {
    return client;
  }

  String bucket() {
    return location.bucket();
  }

  Path spoolDirectory() {
    return settings.spoolDirectory();
  }

  boolean rangedListParts() {
    return rangedListParts;
  }

  void noRangedListParts() {
    rangedListParts = false;
  }

  /** The object key of {@code rel}; fails before any I/O when S3 would refuse it as too long. */
  String key(RelativePath rel) {
    String key = location.keyPrefix() + rel.value();
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw new InvalidPathException(
          rel.value(), "makes an S3 key longer than " + MAX_KEY_BYTES + " bytes (UTF-8)");
    }
    return key;
  }

  /** {@code 'a/b' at s3://bucket/prefix?...}. */
  String describe(RelativePath rel) {
    return "'" + rel.value() + "' at " + uri;
  }

  StorageException failure(String operation, RelativePath rel, SdkException e) {
    return errors.translate(operation + " " + describe(rel), e);
  }

  <T> T call(String operation, RelativePath rel, Supplier<T> request) {
    try {
      return request.get();
    } catch (SdkException e) {
      throw failure(operation, rel, e);
    }
  }

  private <T> T call(String what, Supplier<T> request) {
    try {
      return request.get();
    } catch (SdkException e) {
      throw errors.translate(what, e);
    }
  }
}
