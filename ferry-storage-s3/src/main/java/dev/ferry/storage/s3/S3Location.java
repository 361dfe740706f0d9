package dev.ferry.storage.s3;

import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where an S3 endpoint points, parsed from {@code
 * s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true}. Holds no
 * credentials: those come from the endpoint's credentials map, never from the URI.
 *
 * @param bucket the bucket name
 * @param keyPrefix empty, or the normalized prefix with a trailing '/' ({@code data/in/})
 * @param endpoint the service URL of an S3-compatible server; null for AWS
 * @param region signing region; {@code us-east-1} unless given
 * @param pathStyle path-style addressing ({@code host/bucket/key}); defaults to true when {@code
 *     endpoint} is set, false otherwise
 */
record S3Location(String bucket, String keyPrefix, URI endpoint, String region, boolean pathStyle) {

  static final String DEFAULT_REGION = "us-east-1";

  // Lenient on purpose (legacy buckets have upper case and underscores); what matters is that the
  // name cannot smuggle a host, port, path or user info into the request URL.
  private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,254}");
  private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  /**
   * Parses and validates {@code uri}.
   *
   * @throws StorageException {@code unsupported} naming the endpoint (without query values, which
   *     are not meant to hold secrets but might) and what is wrong with it
   */
  static S3Location parse(URI uri) {
    String shown = redacted(uri);
    if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase("s3")) {
      throw invalid(shown, "scheme must be s3");
    }
    if (uri.isOpaque()) {
      throw invalid(shown, "expected s3://bucket/prefix");
    }
    if (uri.getRawUserInfo() != null) {
      throw invalid(
          shown, "credentials must not be part of the URI; use the endpoint's credentials");
    }
    if (uri.getRawFragment() != null) {
      throw invalid(shown, "a fragment is not allowed");
    }
    // getHost() is null for names that are not valid host names (legacy buckets with '_')
    String bucket = uri.getRawAuthority();
    if (bucket == null || !BUCKET.matcher(bucket).matches()) {
      throw invalid(
          shown, "bucket name missing or malformed (letters, digits, '.', '-', '_'; no port)");
    }
    String keyPrefix = keyPrefix(shown, uri.getPath());

    Map<String, String> params = query(shown, uri.getRawQuery());
    URI endpoint = null;
    String endpointValue = params.remove("endpoint");
    if (endpointValue != null) {
      endpoint = serviceEndpoint(shown, endpointValue);
    }
    String region = params.remove("region");
    if (region == null) {
      region = DEFAULT_REGION;
    } else if (!REGION.matcher(region).matches()) {
      throw invalid(shown, "region '" + region + "' is malformed");
    }
    boolean pathStyle = endpoint != null;
    String pathStyleValue = params.remove("pathStyle");
    if (pathStyleValue != null) {
      switch (pathStyleValue.toLowerCase(Locale.ROOT)) {
        case "true" -> pathStyle = true;
        case "false" -> pathStyle = false;
        default -> throw invalid(shown, "pathStyle must be true or false");
      }
    }
    if (!params.isEmpty()) {
      throw invalid(
          shown,
          "unknown query parameter(s) "
              + params.keySet()
              + "; expected endpoint, region, pathStyle");
    }
    return new S3Location(bucket, keyPrefix, endpoint, region, pathStyle);
  }

  /** The canonical URI: never credentials, always the region, the endpoint when there is one. */
  String uri() {
    StringBuilder b = new StringBuilder("s3://").append(bucket);
    if (!keyPrefix.isEmpty()) {
      b.append('/').append(keyPrefix, 0, keyPrefix.length() - 1);
    }
    b.append('?');
    if (endpoint != null) {
      b.append("endpoint=").append(endpoint).append('&');
    }
    return b.append("region=").append(region).append("&pathStyle=").append(pathStyle).toString();
  }

  private static String keyPrefix(String shown, String path) {
    if (path == null || path.isEmpty() || path.equals("/")) {
      return "";
    }
    String trimmed = path.startsWith("/") ? path.substring(1) : path;
    try {
      return RelativePath.of(trimmed).value() + "/";
    } catch (InvalidPathException e) {
      throw new StorageException(
          ErrorClass.UNSUPPORTED,
          "endpoint " + shown + ": key prefix is invalid: " + e.reason(),
          e);
    }
  }

  private static Map<String, String> query(String shown, String rawQuery) {
    Map<String, String> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(shown, eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(shown, pair.substring(eq + 1));
      if (params.put(name, value) != null) {
        throw invalid(shown, "query parameter '" + name + "' given twice");
      }
    }
    return params;
  }

  private static String decode(String shown, String raw) {
    try {
      return URLDecoder.decode(raw, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid(shown, "malformed query string");
    }
  }

  private static URI serviceEndpoint(String shown, String value) {
    URI endpoint;
    try {
      endpoint = new URI(value);
    } catch (URISyntaxException e) {
      throw invalid(shown, "endpoint is not a URL");
    }
    String scheme =
        endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw invalid(shown, "endpoint must be an http or https URL");
    }
    if (endpoint.getRawUserInfo() != null) {
      throw invalid(shown, "endpoint must not carry credentials; use the endpoint's credentials");
    }
    if (endpoint.getHost() == null) {
      throw invalid(shown, "endpoint has no host");
    }
    if (endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
      throw invalid(shown, "endpoint must not have a query or fragment");
    }
    String path = endpoint.getRawPath();
    if (path != null && path.endsWith("/")) {
      endpoint = URI.create(value.substring(0, value.length() - 1));
    }
    return endpoint;
  }

  private static StorageException invalid(String shown, String reason) {
    return new StorageException(ErrorClass.UNSUPPORTED, "endpoint " + shown + ": " + reason);
  }

  /** Scheme, bucket and path only: user info and query are left out, whatever they hold. */
  static String redacted(URI uri) {
    StringBuilder b = new StringBuilder();
    b.append(uri.getScheme() == null ? "" : uri.getScheme() + ":");
    if (uri.getRawAuthority() != null) {
      String authority = uri.getRawAuthority();
      int at = authority.lastIndexOf('@');
      b.append("//").append(at < 0 ? authority : authority.substring(at + 1));
    }
    if (uri.getRawPath() != null) {
      b.append(uri.getRawPath());
    }
    return b.toString();
  }
}
