package dev.ferry.storage.s3;

import dev.ferry.storage.MultipartResume.ResumableWrite;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * A write to S3 that publishes nothing before {@link #commit()}, without a temporary object.
 *
 * <p><b>Where the content is before commit.</b> Bytes collect in a part buffer in memory (grown as
 * needed, at most one part). An object that never outgrows one part is sent by a single PutObject
 * on commit, so before commit it exists nowhere but in that buffer. A larger object becomes a
 * multipart upload to the final key: each full part is uploaded with its CRC32C ({@code
 * x-amz-checksum-crc32c}, checked by the server), and {@code CompleteMultipartUpload} publishes all
 * of them at once with a {@code FULL_OBJECT} CRC32C of the whole. Until then S3 shows nothing at
 * the key (the previous object, if any, stays readable); {@link #abort()} aborts the upload, which
 * removes its parts.
 *
 * <p><b>{@link #readBack()}.</b> S3 cannot read parts of an unfinished upload, so the bytes come
 * from a local spool file (created only once a part has been uploaded; mode 0600 under {@code
 * java.io.tmpdir} or the configured directory) plus the part buffer. They are checked against what
 * the server stored before they are handed out: ListParts must report exactly the parts sent, with
 * their sizes and, where the server reports them (AWS does, s3proxy does not), the CRC32C values it
 * verified on upload; while the caller reads, each spooled part's CRC32C is recomputed and compared
 * with the one sent. So a reader that hashes the read-back stream checks, part by part, the bytes
 * the server acknowledged. The spool costs one local disk write of the content; it is deleted on
 * commit, abort and close (and by a cleaner if a write is dropped). An object of at most one part
 * has not been sent when it is read back: {@code readBack()} returns the buffer, and the server's
 * check of the PutObject's CRC32C on commit is what catches a corrupted transfer (the commit then
 * fails and nothing is published).
 *
 * <p><b>Resumable writes</b> ({@link S3Endpoint#beginResumableWrite}) create the upload at once and
 * upload each part as soon as it is full; {@code sync()} has nothing left to do but retry a failed
 * part (a partial last part stays in memory). {@code readBack(offset, length)} reads the spool and
 * the buffer without ending the write, after one ListParts request (limited to the parts the range
 * covers) confirmed that the server holds those parts with the sizes and, where it reports them,
 * the CRC32C values they were sent with; a range of whole parts (a chunk, as the worker reads it)
 * also has each spooled part's CRC32C re-checked while it is read. Nothing is downloaded: S3 cannot
 * serve an unfinished upload, and the server already checked each part's CRC32C on receipt; {@code
 * rewindTo} cuts back to a part boundary; {@code detach()} deletes the spool and keeps the upload
 * for {@link S3Endpoint#resume}. A resumed write holds none of the bytes of the earlier attempt:
 * reading them back fails with {@code unsupported}.
 *
 * <p><b>Threads.</b> One thread writes, reads back and commits (those methods synchronize on the
 * write). {@link #abort()} may come from another thread at any time: it does not wait for a part
 * upload in flight; the writer notices on its next call (or when the upload returns) and aborts the
 * upload again for any part that raced in. An abort that races a commit already under way does
 * nothing: the commit decides.
 */
class S3Write implements PendingWrite {

  private static final Cleaner CLEANER = Cleaner.create();
  private static final String CONTENT_TYPE = "application/octet-stream";
  private static final int MIN_BUFFER = 64 * 1024;

  private enum State {
    OPEN,
    COMMITTING,
    COMMITTED,
    ABORTED,
    DETACHED
  }

  /** A part the server stored. */
  record Part(int number, String eTag, String crc32c, long size) {
    CompletedPart completed() {
      return CompletedPart.builder().partNumber(number).eTag(eTag).checksumCRC32C(crc32c).build();
    }
  }

  final S3Endpoint endpoint;
  final RelativePath path;
  final String key;
  final int partSize;

  /** Resumable writes create the upload at once and send each part as soon as it is full. */
  private final boolean eager;

  /** Bytes stored by an earlier attempt (resume); not held locally. Guarded by this. */
  private long inheritedBytes;

  private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);

  /** Appended by the writer; read by any thread (resume tokens). */
  private final List<Part> parts;

  private final CRC32C whole = new CRC32C(); // of this attempt's bytes
  private boolean wholeKnown; // whole covers the content from byte 0
  private final Spool spool;
  private final OutputStream output = new Output();
  private volatile String uploadId;
  private volatile long durableBytes;
  private byte[] buffer = new byte[0];
  private int buffered;
  private volatile long written; // written by the writer only
  private boolean outputClosed;

  S3Write(
      S3Endpoint endpoint,
      RelativePath path,
      String key,
      int partSize,
      boolean eager,
      String uploadId,
      List<Part> inherited) {
    this.endpoint = endpoint;
    this.path = path;
    this.key = key;
    this.partSize = partSize;
    this.eager = eager;
    this.uploadId = uploadId;
    this.parts = new CopyOnWriteArrayList<>(inherited);
    this.inheritedBytes = inherited.stream().mapToLong(Part::size).sum();
    this.durableBytes = inheritedBytes;
    this.wholeKnown = inheritedBytes == 0;
    this.spool = new Spool(endpoint.spoolDirectory());
    CLEANER.register(this, spool);
  }

  static S3Write plain(S3Endpoint endpoint, RelativePath path, String key, int partSize) {
    return new S3Write(endpoint, path, key, partSize, false, null, List.of());
  }

  static ResumableWrite resumable(
      S3Endpoint endpoint, RelativePath path, String key, int partSize) {
    Resumable write = new Resumable(endpoint, path, key, partSize, null, List.of());
    write.startUpload();
    return write;
  }

  /**
   * Empty when the upload no longer exists (completed, aborted, expired). The durable prefix is the
   * run of parts 1, 2, ... of exactly {@code partSize} bytes whose CRC32C is known, from the server
   * or else from the token, and agrees where both know it.
   */
  static Optional<ResumableWrite> resume(
      S3Endpoint endpoint, RelativePath path, ResumeToken token) {
    Map<Integer, Part> stored;
    try {
      stored = listParts(endpoint, path, token.key(), token.uploadId());
    } catch (StorageException e) {
      if (e.errorClass() == ErrorClass.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
    // some servers answer ListParts of an unknown upload with no parts rather than NoSuchUpload
    if (stored.isEmpty() && !uploadExists(endpoint, path, token.key(), token.uploadId())) {
      return Optional.empty();
    }
    List<Part> durable = new ArrayList<>();
    for (int n = 1; stored.containsKey(n) && stored.get(n).size() == token.partSize(); n++) {
      Part part = stored.get(n);
      String known = token.crc32c(n);
      String crc = part.crc32c() != null ? part.crc32c() : known;
      if (crc == null || (known != null && !known.equals(crc))) {
        break;
      }
      durable.add(new Part(n, part.eTag(), crc, part.size()));
    }
    return Optional.of(
        new Resumable(
            endpoint, path, token.key(), (int) token.partSize(), token.uploadId(), durable));
  }

  private static boolean uploadExists(
      S3Endpoint endpoint, RelativePath path, String key, String uploadId) {
    return endpoint.call(
        "looking for the upload of",
        path,
        () ->
            endpoint
                .client()
                .listMultipartUploadsPaginator(b -> b.bucket(endpoint.bucket()).prefix(key))
                .uploads()
                .stream()
                .anyMatch(u -> key.equals(u.key()) && uploadId.equals(u.uploadId())));
  }

  /** A write that {@link S3Endpoint#resume} can continue. */
  static final class Resumable extends S3Write implements ResumableWrite {
    Resumable(
        S3Endpoint endpoint,
        RelativePath path,
        String key,
        int partSize,
        String uploadId,
        List<Part> inherited) {
      super(endpoint, path, key, partSize, true, uploadId, inherited);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The token lists the CRC32C of the parts durable now; take it again as {@link
     * #durableBytes()} grows, so that a server that does not report part checksums (s3proxy) need
     * not be sent those parts again. Safe to call from another thread.
     */
    @Override
    public String resumeToken() {
      List<String> crcs = durableParts().stream().map(Part::crc32c).toList();
      return new ResumeToken(endpoint.bucket(), key, uploadId(), partSize, crcs).encode();
    }

    @Override
    public long durableBytes() {
      return durableBytesSoFar();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Full parts are uploaded as soon as they fill, so this only retries one whose upload
     * failed; a partial last part stays in memory until more bytes or the commit come.
     */
    @Override
    public long sync() {
      return syncParts();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Uploaded parts come from the spool, the rest from the part buffer: the bytes as they were
     * sent (the server checked each part's CRC32C on receipt), once ListParts confirmed that the
     * server holds the parts the range covers ({@code checksum-mismatch} when it does not). Bytes
     * inherited from an earlier attempt cannot be read: {@code unsupported}.
     */
    @Override
    public InputStream readBack(long offset, long length) {
      return readRange(offset, length);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Only to a part boundary (a multiple of the part size): later parts are dropped from the
     * completion list and sent again as the write continues; false for any other offset.
     */
    @Override
    public boolean rewindTo(long offset) {
      return rewind(offset);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Deletes the spool and keeps the multipart upload; a partial last part is lost.
     */
    @Override
    public void detach() {
      detachWrite();
    }
  }

  final String uploadId() {
    return uploadId;
  }

  final List<Part> durableParts() {
    return List.copyOf(parts);
  }

  final long durableBytesSoFar() {
    return durableBytes;
  }

  final synchronized long syncParts() {
    requireOpen("sync");
    if (buffered == partSize) {
      uploadPart(); // a full part whose upload failed earlier
    }
    return durableBytes;
  }

  final synchronized InputStream readRange(long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "negative offset " + offset + " or length " + length + " for " + path);
    }
    requireOpen("read back");
    long end = durableBytes + buffered;
    long from = Math.min(offset, end);
    long to = from + Math.min(length, end - from);
    if (from == to) {
      return InputStream.nullInputStream();
    }
    if (from < inheritedBytes) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "reading back "
              + endpoint.describe(path)
              + " from byte "
              + from
              + ": the first "
              + inheritedBytes
              + " bytes were stored by an earlier attempt and are not held here");
    }
    InputStream spooled = InputStream.nullInputStream();
    if (from < durableBytes) {
      long spooledTo = Math.min(to, durableBytes);
      List<Part> covered = partsCovering(from, spooledTo);
      verifyStoredParts(covered);
      spooled = spool.open(from, spooledTo - from, endpoint.describe(path));
      if (from == start(covered.get(0))
          && spooledTo
              == start(covered.get(covered.size() - 1)) + covered.get(covered.size() - 1).size()) {
        // whole parts: each one's spooled copy is checked against the CRC32C it was uploaded with
        spooled = new PartCheckingInputStream(spooled, covered);
      }
    }
    if (to <= durableBytes) {
      return spooled;
    }
    // a copy: the buffer is refilled as writing goes on
    int start = (int) (Math.max(from, durableBytes) - durableBytes);
    int stop = (int) (to - durableBytes);
    return new SequenceInputStream(
        spooled, new ByteArrayInputStream(Arrays.copyOfRange(buffer, start, stop)));
  }

  /** The uploaded parts that hold bytes of {@code [from, to)}, all below {@link #durableBytes}. */
  private List<Part> partsCovering(long from, long to) {
    List<Part> covered = new ArrayList<>();
    for (Part part : parts) {
      long start = start(part);
      if (start + part.size() > from && start < to) {
        covered.add(part);
      }
    }
    return covered;
  }

  /** Parts 1..n are full-size, so part n starts at (n - 1) * partSize. */
  private long start(Part part) {
    return (long) (part.number() - 1) * partSize;
  }

  final synchronized boolean rewind(long offset) {
    requireOpen("rewind");
    if (offset < 0 || offset > durableBytes) {
      throw new IllegalArgumentException(
          "cannot rewind "
              + endpoint.describe(path)
              + " to "
              + offset
              + ": "
              + durableBytes
              + " bytes durable");
    }
    if (offset % partSize != 0) {
      return false;
    }
    // every part but a commit's last is exactly partSize, so part n ends at n * partSize
    int keep = (int) (offset / partSize);
    parts.subList(keep, parts.size()).clear();
    durableBytes = offset;
    buffered = 0;
    inheritedBytes = Math.min(inheritedBytes, offset);
    if (offset == 0) {
      whole.reset();
      wholeKnown = true;
    } else {
      wholeKnown = false; // the server still combines the parts' CRC32C into the whole's
    }
    return true;
  }

  final void detachWrite() {
    if (state.compareAndSet(State.OPEN, State.DETACHED)) {
      spool.run();
    }
  }

  @Override
  public RelativePath path() {
    return path;
  }

  @Override
  public OutputStream output() {
    return output;
  }

  @Override
  public long bytesWritten() {
    return written;
  }

  // --- writing -------------------------------------------------------------------------------

  private final class Output extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      append(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      append(b, off, len);
    }

    /** Ends the content; publishes nothing. */
    @Override
    public void close() {
      synchronized (S3Write.this) {
        outputClosed = true;
      }
    }
  }

  private synchronized void append(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    checkWritable();
    while (len > 0) {
      if (buffered == partSize) {
        // a full part that is not the last one after all
        uploadBufferedPart();
      }
      int n = Math.min(len, partSize - buffered);
      ensureCapacity(buffered + n);
      System.arraycopy(b, off, buffer, buffered, n);
      whole.update(b, off, n);
      buffered += n;
      written += n;
      off += n;
      len -= n;
      if (eager && buffered == partSize) {
        uploadBufferedPart();
      }
    }
  }

  private void ensureCapacity(int needed) {
    if (needed > buffer.length) {
      long grown = Math.max(Math.max(MIN_BUFFER, needed), 2L * buffer.length);
      buffer = Arrays.copyOf(buffer, (int) Math.min(grown, partSize));
    }
  }

  private void checkWritable() throws IOException {
    if (outputClosed || state.get() != State.OPEN) {
      throw new IOException("write to " + endpoint.describe(path) + " is " + stateText());
    }
  }

  /** Uploads the buffer as the next part; an I/O failure for the output stream's callers. */
  private void uploadBufferedPart() throws IOException {
    try {
      uploadPart();
    } catch (StorageException e) {
      throw new IOException(e.getMessage(), e);
    }
    if (state.get() == State.ABORTED) {
      abortUpload(); // the part raced an abort from another thread
      throw new IOException("write to " + endpoint.describe(path) + " was aborted");
    }
  }

  private void uploadPart() {
    if (parts.size() >= S3Endpoint.MAX_PARTS) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "writing "
              + endpoint.describe(path)
              + ": more than "
              + S3Endpoint.MAX_PARTS
              + " parts of "
              + partSize
              + " bytes");
    }
    String id = startUpload();
    int number = parts.size() + 1;
    int size = buffered;
    byte[] data = buffer;
    String crc = crc32c(data, 0, size);
    // at the part's offset in the content: a resumed write's spool starts with a hole
    spool.write(durableBytes, data, size, endpoint.describe(path));
    UploadPartResponse response =
        endpoint.call(
            "uploading part " + number + " of",
            path,
            () ->
                endpoint
                    .client()
                    .uploadPart(
                        b ->
                            b.bucket(endpoint.bucket())
                                .key(key)
                                .uploadId(id)
                                .partNumber(number)
                                .contentLength((long) size)
                                .checksumCRC32C(crc),
                        body(data, size)));
    parts.add(new Part(number, response.eTag(), crc, size));
    durableBytes += size;
    buffered = 0;
  }

  /** Creates the multipart upload unless there is one; returns its id. */
  final String startUpload() {
    String id = uploadId;
    if (id != null) {
      return id;
    }
    id =
        endpoint
            .call(
                "starting multipart upload of",
                path,
                () ->
                    endpoint
                        .client()
                        .createMultipartUpload(
                            b ->
                                b.bucket(endpoint.bucket())
                                    .key(key)
                                    .contentType(CONTENT_TYPE)
                                    .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)
                                    .checksumType(ChecksumType.FULL_OBJECT)))
            .uploadId();
    uploadId = id;
    if (state.get() == State.ABORTED) {
      abortUpload(); // abort() ran while the upload was being created
      throw new StorageException(
          ErrorClass.IO, false, "write to " + endpoint.describe(path) + " was aborted", null);
    }
    return id;
  }

  // --- read back, commit, abort ----------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>See the class comment: the spooled copy and the part buffer, checked against the parts the
   * server reports.
   *
   * @throws StorageException {@code checksum-mismatch} when the server's parts differ from those
   *     sent; {@code unsupported} for a resumed write whose first bytes came from an earlier
   *     attempt
   */
  @Override
  public synchronized InputStream readBack() {
    requireOpen("read back");
    outputClosed = true;
    if (inheritedBytes > 0) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "reading back "
              + endpoint.describe(path)
              + ": the first "
              + inheritedBytes
              + " bytes were stored by an earlier attempt and are not held here; verify the"
              + " published object's CRC32C instead");
    }
    List<Part> sent = List.copyOf(parts);
    if (!sent.isEmpty()) {
      verifyStoredParts(sent);
    }
    InputStream tail = new ByteArrayInputStream(buffer, 0, buffered);
    if (sent.isEmpty()) {
      return tail;
    }
    return new SequenceInputStream(
        new PartCheckingInputStream(spool.open(0, Long.MAX_VALUE, endpoint.describe(path)), sent),
        tail);
  }

  /**
   * Confirms with ListParts (one request for up to 1,000 consecutive parts) that the server holds
   * each of {@code sent} with the size, and where it reports one the CRC32C, that it was sent with.
   */
  private void verifyStoredParts(List<Part> sent) {
    Map<Integer, Part> stored =
        listParts(
            endpoint,
            path,
            key,
            uploadId,
            sent.get(0).number() - 1,
            sent.get(sent.size() - 1).number() - sent.get(0).number() + 1);
    for (Part ours : sent) {
      Part theirs = stored.get(ours.number());
      if (theirs == null
          || theirs.size() != ours.size()
          || (theirs.crc32c() != null && !theirs.crc32c().equals(ours.crc32c()))) {
        throw new StorageException(
            ErrorClass.CHECKSUM_MISMATCH,
            "reading back "
                + endpoint.describe(path)
                + ": part "
                + ours.number()
                + " was sent as "
                + ours.size()
                + " bytes with CRC32C "
                + ours.crc32c()
                + ", the server has "
                + (theirs == null
                    ? "no such part"
                    : theirs.size() + " bytes with CRC32C " + theirs.crc32c())
                + "; nothing published");
      }
    }
    // parts beyond ours (left by a rewind or an earlier attempt) are not in the completion list
  }

  /**
   * {@inheritDoc}
   *
   * <p>PutObject of the buffer when no part was uploaded; otherwise uploads the buffer as the last
   * part and completes the upload.
   */
  @Override
  public synchronized void commit() {
    if (state.get() == State.COMMITTED) {
      return;
    }
    requireOpen("commit");
    outputClosed = true;
    if (!state.compareAndSet(State.OPEN, State.COMMITTING)) {
      requireOpen("commit"); // aborted meanwhile
    }
    try {
      publish();
      state.set(State.COMMITTED);
    } catch (RuntimeException e) {
      state.set(State.ABORTED);
      try {
        abortUpload();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    } finally {
      spool.run();
    }
  }

  private void publish() {
    if (uploadId == null) {
      putObject();
      return;
    }
    if (buffered > 0) {
      uploadPart();
    }
    if (parts.isEmpty()) {
      // an empty resumable write: an upload needs a part, an empty object does not
      abortUpload();
      putObject();
      return;
    }
    List<CompletedPart> completed = parts.stream().map(Part::completed).toList();
    String fullCrc = wholeKnown ? crc32c(whole) : null;
    endpoint.call(
        "publishing",
        path,
        () ->
            endpoint
                .client()
                .completeMultipartUpload(
                    b ->
                        b.bucket(endpoint.bucket())
                            .key(key)
                            .uploadId(uploadId)
                            .multipartUpload(m -> m.parts(completed))
                            .checksumType(ChecksumType.FULL_OBJECT)
                            .checksumCRC32C(fullCrc)));
  }

  private void putObject() {
    int size = buffered;
    byte[] data = buffer;
    String crc = crc32c(whole); // no part was uploaded: the buffer is the whole content
    endpoint.call(
        "publishing",
        path,
        () ->
            endpoint
                .client()
                .putObject(
                    b ->
                        b.bucket(endpoint.bucket())
                            .key(key)
                            .contentType(CONTENT_TYPE)
                            .contentLength((long) size)
                            .checksumCRC32C(crc),
                    body(data, size)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Aborts the multipart upload, if one was started (its parts are removed, and {@link
   * S3Endpoint#resume} of its token finds nothing), and deletes the spool.
   *
   * @throws StorageException when S3 refuses the abort (the upload then stays until a lifecycle
   *     rule removes it)
   */
  @Override
  public void abort() {
    if (!state.compareAndSet(State.OPEN, State.ABORTED)) {
      return;
    }
    try {
      abortUpload();
    } finally {
      spool.run();
    }
  }

  private void abortUpload() {
    String id = uploadId;
    if (id == null) {
      return;
    }
    try {
      endpoint
          .client()
          .abortMultipartUpload(b -> b.bucket(endpoint.bucket()).key(key).uploadId(id));
    } catch (S3Exception e) {
      if (e.statusCode() != 404) { // already gone
        throw endpoint.failure("aborting the upload of", path, e);
      }
    } catch (SdkException e) {
      throw endpoint.failure("aborting the upload of", path, e);
    }
  }

  @Override
  public boolean committed() {
    return state.get() == State.COMMITTED;
  }

  private void requireOpen(String action) {
    if (state.get() != State.OPEN) {
      throw new IllegalStateException(
          "cannot " + action + " " + endpoint.describe(path) + ": write is " + stateText());
    }
  }

  private String stateText() {
    State s = state.get();
    return outputClosed && s == State.OPEN ? "closed" : s.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "S3Write[" + endpoint.describe(path) + ", " + stateText() + "]";
  }

  // --- helpers -------------------------------------------------------------------------------

  static Map<Integer, Part> listParts(
      S3Endpoint endpoint, RelativePath path, String key, String uploadId) {
    return listParts(endpoint, path, key, uploadId, 0, Integer.MAX_VALUE);
  }

  /**
   * The stored parts numbered {@code after + 1} to {@code after + count} (all of them for a {@code
   * count} of {@link Integer#MAX_VALUE}), following ListParts' pages only as far as needed. Asks
   * for just those parts ({@code part-number-marker}, {@code max-parts}) unless the server said it
   * cannot (HTTP 501, as s3proxy does); then it lists them all, which costs one request per 1,000
   * parts.
   */
  static Map<Integer, Part> listParts(
      S3Endpoint endpoint, RelativePath path, String key, String uploadId, int after, int count) {
    long last = (long) after + count;
    Map<Integer, Part> stored = new HashMap<>();
    return endpoint.call(
        "listing the parts of",
        path,
        () -> {
          boolean ranged = endpoint.rangedListParts();
          Integer marker = ranged && after > 0 ? after : null;
          while (true) {
            Integer from = marker;
            Integer max = ranged && count < 1000 ? count : null;
            ListPartsResponse page;
            try {
              page =
                  endpoint
                      .client()
                      .listParts(
                          b ->
                              b.bucket(endpoint.bucket())
                                  .key(key)
                                  .uploadId(uploadId)
                                  .partNumberMarker(from)
                                  .maxParts(max));
            } catch (S3Exception e) {
              if (e.statusCode() != 501 || !ranged || (from == null && max == null)) {
                throw e; // a 501 for a plain listing, or a page marker, is no range problem
              }
              // s3proxy: "A header you provided implies functionality that is not implemented"
              endpoint.noRangedListParts();
              ranged = false;
              marker = null;
              continue;
            }
            boolean beyond = false;
            for (software.amazon.awssdk.services.s3.model.Part p : page.parts()) {
              if (p.partNumber() > last) {
                beyond = true;
              } else if (p.partNumber() > after) {
                stored.put(
                    p.partNumber(),
                    new Part(p.partNumber(), p.eTag(), p.checksumCRC32C(), p.size()));
              }
            }
            if (beyond
                || !Boolean.TRUE.equals(page.isTruncated())
                || page.nextPartNumberMarker() == null
                || page.nextPartNumberMarker() >= last
                || Objects.equals(page.nextPartNumberMarker(), from)) {
              return stored;
            }
            marker = page.nextPartNumberMarker();
          }
        });
  }

  /** A body the SDK can read more than once (signing, retries) without copying the buffer. */
  private static RequestBody body(byte[] data, int size) {
    return RequestBody.fromContentProvider(
        () -> new ByteArrayInputStream(data, 0, size), size, CONTENT_TYPE);
  }

  static String crc32c(byte[] data, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(data, off, len);
    return crc32c(crc);
  }

  /** S3's spelling: base64 of the 4 big-endian bytes. */
  static String crc32c(CRC32C crc) {
    return Base64.getEncoder()
        .encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /**
   * The local copy of the uploaded parts, for {@link #readBack()}. Written at explicit positions,
   * so a part that is uploaded again after a failure overwrites its earlier copy. As a cleaning
   * action it must not refer to the write.
   */
  private static final class Spool implements Runnable {
    private final Path directory;
    private Path file;
    private FileChannel channel;
    private boolean released;

    Spool(Path directory) {
      this.directory = directory;
    }

    synchronized void write(long position, byte[] data, int size, String what) {
      try {
        if (released) {
          throw new IOException("write was closed");
        }
        if (channel == null) {
          file =
              directory == null
                  ? Files.createTempFile("ferry-s3-spool-", ".bin")
                  : Files.createTempFile(directory, "ferry-s3-spool-", ".bin");
          channel = FileChannel.open(file, StandardOpenOption.WRITE);
        }
        ByteBuffer bytes = ByteBuffer.wrap(data, 0, size);
        for (long at = position; bytes.hasRemaining(); ) {
          at += channel.write(bytes, at);
        }
      } catch (IOException e) {
        throw StorageException.of("spooling " + what + " for read-back", e);
      }
    }

    /** {@code length} bytes from {@code position}, on a channel of its own. */
    synchronized InputStream open(long position, long length, String what) {
      FileChannel read = null;
      try {
        if (released || file == null) {
          throw new IOException("no spooled copy");
        }
        read = FileChannel.open(file, StandardOpenOption.READ);
        read.position(position);
        InputStream in = Channels.newInputStream(read);
        return length == Long.MAX_VALUE ? in : new LimitedInputStream(in, length);
      } catch (IOException e) {
        if (read != null) {
          try {
            read.close();
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw StorageException.of("reading back the spooled copy of " + what, e);
      }
    }

    /** Deletes the spool; idempotent. */
    @Override
    public synchronized void run() {
      released = true;
      try {
        if (channel != null) {
          channel.close();
        }
        if (file != null) {
          Files.deleteIfExists(file);
        }
      } catch (IOException e) {
        // a leftover temporary file is all that is at stake
      } finally {
        channel = null;
        file = null;
      }
    }
  }

  /** At most {@code limit} bytes of the wrapped stream. */
  private static final class LimitedInputStream extends FilterInputStream {
    private long remaining;

    LimitedInputStream(InputStream in, long limit) {
      super(in);
      this.remaining = limit;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(Math.min(n, remaining));
      remaining -= skipped;
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), remaining);
    }
  }

  /**
   * Re-computes each spooled part's CRC32C while it is read and fails the read at the end of a part
   * whose copy differs from what was uploaded.
   */
  private final class PartCheckingInputStream extends FilterInputStream {
    private final List<Part> sent;
    private int index;
    private long leftInPart;
    private CRC32C crc = new CRC32C();

    PartCheckingInputStream(InputStream in, List<Part> sent) {
      super(in);
      this.sent = sent;
      this.leftInPart = sent.get(0).size();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (index >= sent.size()) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      int n = in.read(b, off, (int) Math.min(len, leftInPart));
      if (n < 0) {
        throw new IOException(
            "spooled copy of "
                + endpoint.describe(path)
                + " ends inside part "
                + sent.get(index).number());
      }
      crc.update(b, off, n);
      leftInPart -= n;
      if (leftInPart == 0) {
        Part part = sent.get(index);
        String actual = crc32c(crc);
        if (!actual.equals(part.crc32c())) {
          throw new IOException(
              "spooled copy of part "
                  + part.number()
                  + " of "
                  + endpoint.describe(path)
                  + " has CRC32C "
                  + actual
                  + ", uploaded "
                  + part.crc32c());
        }
        index++;
        crc = new CRC32C();
        leftInPart = index < sent.size() ? sent.get(index).size() : 0;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // skipping would leave parts unchecked; read through instead
      byte[] scratch = new byte[(int) Math.min(8192, Math.max(0, n))];
      long skipped = 0;
      while (skipped < n) {
        int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
        if (r < 0) {
          break;
        }
        skipped += r;
      }
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), leftInPart);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
