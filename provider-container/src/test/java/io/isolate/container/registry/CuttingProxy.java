package io.isolate.container.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy on 127.0.0.1 in front of a registry that cuts the first answer longer than {@code cutAfter} bytes (a
 * layer's download) midway, as a network failure would, and then passes everything. It keeps the requests' text:
 * what each connection sent is kept whole and split into requests where their headers end, since one read from a
 * socket may hold part of a request or more than one.
 */
final class CuttingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int target;
  private final long cutAfter;
  private final AtomicBoolean armed = new AtomicBoolean(true);
  private final List<StringBuffer> sent = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  private CuttingProxy(ServerSocket server, int target, long cutAfter) {
    this.server = server;
    this.target = target;
    this.cutAfter = cutAfter;
  }

  static CuttingProxy start(int target, long cutAfter) throws IOException {
    CuttingProxy p = new CuttingProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), target, cutAfter);
    Thread t = new Thread(p::accept, "cutting-proxy");
    t.setDaemon(true);
    t.start();
    return p;
  }

  int port() {
    return server.getLocalPort();
  }

  /** The requests (line and headers) sent through the proxy so far; none of them has a body. */
  List<String> requests() {
    List<String> requests = new ArrayList<>();
    for (StringBuffer connection : sent) {
      for (String head : connection.toString().split("\r\n\r\n")) {
        if (!head.isEmpty()) {
          requests.add(head);
        }
      }
    }
    return requests;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        sockets.add(client);
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        sockets.add(upstream);
        StringBuffer transcript = new StringBuffer();
        sent.add(transcript);
        pump(client.getInputStream(), upstream.getOutputStream(), client, upstream, transcript);
        pump(upstream.getInputStream(), client.getOutputStream(), client, upstream, null);
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Copies {@code in} to {@code out}; a request stream is kept in {@code transcript}, an answer stream's is null. */
  private void pump(InputStream in, OutputStream out, Socket a, Socket b, StringBuffer transcript) {
    boolean answers = transcript == null;
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[8192];
      long passed = 0;
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          if (!answers) {
            transcript.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
          }
          passed += n;
          if (answers && passed > cutAfter && armed.compareAndSet(true, false)) {
            a.close();
            b.close();
            return;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side went
      }
      try {
        a.close();
        b.close();
      } catch (IOException ignored) {
        // closing
      }
    }, "cutting-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    // A pooled keep-alive connection to this proxy must not outlive it: a later proxy given the same port would see
    // its client reuse the connection, and the requests would pass through this one unrecorded.
    for (Socket s : sockets) {
      s.close();
    }
  }
}
