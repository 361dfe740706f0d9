package dev.ferry.worker;

import dev.ferry.storage.ListPage;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import java.io.InputStream;
import java.util.Optional;

/** Delegates everything; tests override what they want to break. */
class ForwardingEndpoint implements StorageEndpoint {
  protected final StorageEndpoint delegate;

  ForwardingEndpoint(StorageEndpoint delegate) {
    this.delegate = delegate;
  }

  @Override
  public String uri() {
    return delegate.uri();
  }

  @Override
  public ListPage list(String prefix, String pageToken, int pageSize) {
    return delegate.list(prefix, pageToken, pageSize);
  }

  @Override
  public Optional<StorageEntry> stat(String path) {
    return delegate.stat(path);
  }

  @Override
  public InputStream openRange(String path, long offset, long length) {
    return delegate.openRange(path, offset, length);
  }

  @Override
  public PendingWrite beginWrite(String path) {
    return delegate.beginWrite(path);
  }

  @Override
  public boolean delete(String path) {
    return delegate.delete(path);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
