package dev.ferry.control.auth;

import dev.ferry.control.FerryProperties;
import dev.ferry.model.Tokens;
import dev.ferry.model.webhook.WebhookSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * The control plane's own secrets: the root token, the credentials master key and the worker
 * callback secrets. Each comes from configuration when set, else from a file under the data
 * directory that is created with mode 0600 at first start and reused after.
 */
@Component
public class LocalSecrets {
  private final Path dataDir;
  private final String adminToken;
  private final byte[] masterKey;
  private final List<WebhookSecret> workerSecrets;
  private final boolean adminTokenFromFile;

  public LocalSecrets(FerryProperties properties) {
    this.dataDir = properties.dataDir();
    SecureRandom random = new SecureRandom();
    if (properties.adminToken().isBlank()) {
      this.adminToken = readOrCreate("admin-token", () -> Tokens.generate(random));
      this.adminTokenFromFile = true;
    } else {
      this.adminToken = properties.adminToken().strip();
      this.adminTokenFromFile = false;
    }
    String key =
        properties.masterKey().isBlank()
            ? readOrCreate(
                "master.key",
                () -> {
                  byte[] k = new byte[32];
                  random.nextBytes(k);
                  return Base64.getEncoder().encodeToString(k);
                })
            : properties.masterKey().strip();
    this.masterKey = Base64.getDecoder().decode(key);
    if (masterKey.length != 32) {
      throw new IllegalStateException(
          "master key must be 32 bytes of base64, got " + masterKey.length + " bytes");
    }
    this.workerSecrets =
        properties.workerSecrets().isEmpty()
            ? List.of(
                WebhookSecret.parse(
                    readOrCreate("worker-secret", () -> WebhookSecret.generate(random).encode())))
            : properties.workerSecrets().stream().map(WebhookSecret::parse).toList();
  }

  public String adminToken() {
    return adminToken;
  }

  /** Where the admin token is kept, or a note that it came from the environment. */
  public String adminTokenLocation() {
    return adminTokenFromFile
        ? dataDir.resolve("admin-token").toString()
        : "FERRY_ADMIN_TOKEN (environment)";
  }

  /** The master key, for {@link dev.ferry.control.endpoints.CredentialCipher} only. */
  public byte[] masterKeyForCipher() {
    return masterKey.clone();
  }

  public List<WebhookSecret> workerSecrets() {
    return workerSecrets;
  }

  private String readOrCreate(String name, Supplier<String> generator) {
    Path file = dataDir.resolve(name);
    try {
      Files.createDirectories(dataDir);
      if (!Files.exists(file)) {
        try {
          Files.writeString(
              Files.createFile(
                  file,
                  PosixFilePermissions.asFileAttribute(
                      PosixFilePermissions.fromString("rw-------"))),
              generator.get() + "\n",
              StandardCharsets.UTF_8,
              StandardOpenOption.TRUNCATE_EXISTING);
        } catch (FileAlreadyExistsException raced) {
          // another process created it first; use theirs
        }
      }
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    }
  }
}
