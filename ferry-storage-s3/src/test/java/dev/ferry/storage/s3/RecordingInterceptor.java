package dev.ferry.storage.s3;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * Records the requests an endpoint's SDK client makes (one entry per API call, before retries), and
 * the HTTP requests as sent; can corrupt a header to see what the server does with it.
 */
final class RecordingInterceptor implements ExecutionInterceptor {
  private final List<SdkRequest> requests = new CopyOnWriteArrayList<>();
  private final List<SdkHttpRequest> httpRequests = new CopyOnWriteArrayList<>();
  private volatile String corruptHeader;

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    requests.add(context.request());
  }

  @Override
  public SdkHttpRequest modifyHttpRequest(
      Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
    SdkHttpRequest request = context.httpRequest();
    String header = corruptHeader;
    if (header != null && request.firstMatchingHeader(header).isPresent()) {
      // a valid CRC32C, of other bytes
      request = request.toBuilder().putHeader(header, "AAAAAA==").build();
    }
    return request;
  }

  @Override
  public void beforeTransmission(
      Context.BeforeTransmission context, ExecutionAttributes attributes) {
    httpRequests.add(context.httpRequest());
  }

  /** Replaces {@code header}, where a request has it, by the CRC32C of no bytes. */
  void corrupt(String header) {
    corruptHeader = header;
  }

  <T extends SdkRequest> List<T> requests(Class<T> type) {
    return requests.stream().filter(type::isInstance).map(type::cast).toList();
  }

  List<SdkRequest> requests() {
    return List.copyOf(requests);
  }

  List<SdkHttpRequest> httpRequests() {
    return List.copyOf(httpRequests);
  }

  void clear() {
    requests.clear();
    httpRequests.clear();
  }
}
