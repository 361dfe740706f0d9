package dev.ferry.telemetry.aggregate;

import java.util.Comparator;
import java.util.Objects;

/**
 * The unit of aggregation: one tenant's link from a source site to a destination site. Every part
 * is a bounded label (tenants and sites are configuration, never per-job values).
 */
public record LinkKey(String tenant, String sourceSite, String destinationSite)
    implements Comparable<LinkKey> {

  private static final Comparator<LinkKey> ORDER =
      Comparator.comparing(LinkKey::tenant)
          .thenComparing(LinkKey::sourceSite)
          .thenComparing(LinkKey::destinationSite);

  public LinkKey {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(sourceSite, "sourceSite");
    Objects.requireNonNull(destinationSite, "destinationSite");
  }

  @Override
  public int compareTo(LinkKey other) {
    return ORDER.compare(this, other);
  }

  /** A compact binary form: three length-prefixed UTF-8 strings. */
  public byte[] toBytes() {
    return new VarBytes.Writer()
        .writeString(tenant)
        .writeString(sourceSite)
        .writeString(destinationSite)
        .toByteArray();
  }

  /**
   * Reads the form {@link #toBytes()} wrote.
   *
   * @throws IllegalArgumentException when the bytes are truncated or have trailing bytes
   */
  public static LinkKey fromBytes(byte[] data) {
    VarBytes.Reader r = new VarBytes.Reader(data);
    LinkKey key = new LinkKey(r.readString(), r.readString(), r.readString());
    if (r.hasRemaining()) {
      throw new IllegalArgumentException("LinkKey: trailing bytes");
    }
    return key;
  }

  @Override
  public String toString() {
    return tenant + "/" + sourceSite + "->" + destinationSite;
  }
}
