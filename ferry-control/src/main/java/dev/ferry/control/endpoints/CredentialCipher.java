package dev.ferry.control.endpoints;

import dev.ferry.control.auth.LocalSecrets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Encrypts endpoint credentials at rest with AES-256-GCM under the master key. Layout: 1 version
 * byte, 12-byte random nonce, ciphertext with its 16-byte tag. The endpoint id is bound as
 * associated data, so a ciphertext copied to another endpoint row does not decrypt.
 */
@Component
public class CredentialCipher {
  private static final byte VERSION = 1;
  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  @Autowired
  public CredentialCipher(LocalSecrets secrets) {
    this(secrets.masterKeyForCipher());
  }

  CredentialCipher(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  public byte[] encrypt(String plaintext, String associatedData) {
    try {
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      c.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.allocate(1 + nonce.length + sealed.length)
          .put(VERSION)
          .put(nonce)
          .put(sealed)
          .array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  public String decrypt(byte[] box, String associatedData) {
    if (box.length < 1 + 12 + 16 || box[0] != VERSION) {
      throw new IllegalStateException("credentials ciphertext has an unknown layout");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, box, 1, 12));
      c.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
      return new String(c.doFinal(box, 13, box.length - 13), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot decrypt endpoint credentials: wrong master key or tampered row", e);
    }
  }
}
