package dev.ferry.storage.s3;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * What {@link S3Endpoint#resume} needs to find a multipart upload again: bucket, key, upload id,
 * part size, and the CRC32C of each part that was durable when the token was taken.
 *
 * <p>The CRC32C values matter because an upload created with a checksum algorithm can only be
 * completed with every part's checksum, and not every S3-compatible server reports them in
 * ListParts (AWS does; s3proxy does not). A part the server reports without a checksum counts as
 * durable only when the token knows its CRC32C.
 *
 * <p>Encoded as {@code s3mpu1.} followed by unpadded base64url of the fields joined by newlines:
 * bucket, key, upload id, part size, then the CRC32C values as 4 big-endian bytes each, in
 * base64url (5⅓ characters per part). None of the text fields can contain a newline: keys are
 * {@link dev.ferry.storage.RelativePath}s, which exclude control characters. Holds no credentials;
 * the upload is only reachable with the endpoint's own.
 *
 * @param partCrc32c S3-style base64 CRC32C of parts 1, 2, ..., as far as known
 */
record ResumeToken(
    String bucket, String key, String uploadId, long partSize, List<String> partCrc32c) {
  private static final String PREFIX = "s3mpu1.";

  ResumeToken {
    partCrc32c = List.copyOf(partCrc32c);
  }

  /** The CRC32C of part {@code number} (1-based), or null when the token does not know it. */
  String crc32c(int number) {
    return number <= partCrc32c.size() ? partCrc32c.get(number - 1) : null;
  }

  String encode() {
    ByteArrayOutputStream crcs = new ByteArrayOutputStream(partCrc32c.size() * 4);
    for (String crc : partCrc32c) {
      crcs.writeBytes(Base64.getDecoder().decode(crc));
    }
    String fields =
        String.join(
            "\n",
            bucket,
            key,
            uploadId,
            Long.toString(partSize),
            Base64.getUrlEncoder().withoutPadding().encodeToString(crcs.toByteArray()));
    return PREFIX
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(fields.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * @throws IllegalArgumentException when {@code token} was not made by {@link #encode()}
   */
  static ResumeToken decode(String token) {
    if (token == null || !token.startsWith(PREFIX)) {
      throw malformed();
    }
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(token.substring(PREFIX.length()));
      String[] fields = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
      if (fields.length != 5 || fields[0].isEmpty() || fields[1].isEmpty() || fields[2].isEmpty()) {
        throw malformed();
      }
      byte[] crcs = Base64.getUrlDecoder().decode(fields[4]);
      if (crcs.length % 4 != 0) {
        throw malformed();
      }
      List<String> partCrc32c = new ArrayList<>(crcs.length / 4);
      for (int i = 0; i < crcs.length; i += 4) {
        partCrc32c.add(Base64.getEncoder().encodeToString(Arrays.copyOfRange(crcs, i, i + 4)));
      }
      return new ResumeToken(
          fields[0], fields[1], fields[2], Long.parseLong(fields[3]), partCrc32c);
    } catch (IllegalArgumentException e) { // bad base64, bad number
      throw malformed();
    }
  }

  private static IllegalArgumentException malformed() {
    return new IllegalArgumentException("malformed S3 resume token (expected " + PREFIX + "...)");
  }
}
