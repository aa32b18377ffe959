package org.malipo.gateway.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of one dependency (PostgreSQL, Redis, a Kafka broker, an
 * acquirer), so a test can take that dependency away from one gateway instance without touching
 * the real server that other tests and other runs share.
 *
 * <ul>
 *   <li>{@link #cut()}: stops listening and resets every open connection, as a dead host or a
 *       stopped server looks to the client (new connections are refused);
 *   <li>{@link #loseAnswers()}: keeps forwarding requests but drops every byte coming back, as a
 *       network that fails after the request was sent (the server acts, the client never hears);
 *   <li>{@link #loseRequests()}: accepts connections but drops every byte going to the server, as
 *       a request lost on the way (the server never acts, the client hears nothing);
 *   <li>{@link #restore()}: forwards both ways again on the same port.
 * </ul>
 *
 * <p>Test support: plain blocking sockets on its own daemon threads (two per connection), never
 * on an event loop.
 */
public final class TcpProxy implements AutoCloseable {

  private final String name;
  private final String upstreamHost;
  private volatile int upstreamPort;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private volatile ServerSocket listener;
  private volatile boolean answersLost;
  private volatile boolean requestsLost;

  private TcpProxy(String name, String upstreamHost, int upstreamPort) throws IOException {
    this.name = name;
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    ServerSocket first = bind(0);
    this.port = first.getLocalPort();
    listen(first);
  }

  /**
   * Starts a proxy to {@code upstreamHost:upstreamPort} on a free port of 127.0.0.1.
   *
   * @param name for thread names and messages
   */
  public static TcpProxy start(String name, String upstreamHost, int upstreamPort) {
    try {
      return new TcpProxy(name, upstreamHost, upstreamPort);
    } catch (IOException e) {
      throw new UncheckedIOException("proxy " + name + " could not start", e);
    }
  }

  /** The proxy's port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Forwards new connections to another upstream port (for an upstream that binds after the proxy). */
  public void retarget(int newUpstreamPort) {
    upstreamPort = newUpstreamPort;
  }

  /** Connections accepted so far. */
  public long acceptedConnections() {
    return accepted.get();
  }

  /** Stops listening and resets every connection: the dependency is gone. Idempotent. */
  public synchronized void cut() {
    ServerSocket current = listener;
    listener = null;
    if (current != null) {
      closeQuietly(current);
    }
    for (Socket socket : sockets) {
      try {
        socket.setSoLinger(true, 0); // RST, not FIN: the peer sees a reset connection
      } catch (IOException ignored) {
        // already closed
      }
      closeQuietly(socket);
    }
    sockets.clear();
  }

  /** From now on, bytes from the dependency back to the client are dropped; requests still go through. */
  public void loseAnswers() {
    answersLost = true;
  }

  /** From now on, bytes from the client to the dependency are dropped. */
  public void loseRequests() {
    requestsLost = true;
  }

  /** Listens again on the same port (after {@link #cut()}) and forwards both ways again. */
  public synchronized void restore() {
    answersLost = false;
    requestsLost = false;
    if (listener == null) {
      try {
        listen(bind(port));
      } catch (IOException e) {
        throw new UncheckedIOException("proxy " + name + " could not listen again on " + port, e);
      }
    }
  }

  @Override
  public void close() {
    cut();
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    return socket;
  }

  private void listen(ServerSocket socket) {
    listener = socket;
    Thread acceptor = new Thread(() -> accept(socket), "proxy-" + name + "-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept(ServerSocket socket) {
    while (!socket.isClosed()) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException closed) {
        return;
      }
      accepted.incrementAndGet();
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), 2_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      if (listener != socket) { // cut while connecting
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      pump(client, upstream, false);
      pump(upstream, client, true);
    }
  }

  private void pump(Socket from, Socket to, boolean answers) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int read;
        while ((read = in.read(buffer)) >= 0) {
          if (answers ? answersLost : requestsLost) {
            continue;
          }
          out.write(buffer, 0, read);
          out.flush();
        }
      } catch (IOException ignored) {
        // one side closed or was reset: close the other
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        sockets.remove(from);
        sockets.remove(to);
      }
    }, "proxy-" + name + (answers ? "-down" : "-up"));
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
