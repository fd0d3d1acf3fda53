package dev.plumb.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * Real storage servers on 127.0.0.1 for the tests: moto's standalone S3 server (from PyPI, through
 * {@code cluster/local/s3-server.sh}) and Hadoop's in-process HDFS (MiniDFSCluster).
 */
final class StorageServers {

  private StorageServers() {}

  /** A running S3-compatible endpoint; {@link #close()} stops it. */
  static final class S3 implements AutoCloseable {
    final String endpoint;
    private final Process process;

    private S3(String endpoint, Process process) {
      this.endpoint = endpoint;
      this.process = process;
    }

    /** Starts moto on a free port, installing it into its venv on first use. */
    static S3 start(Path logDir) throws Exception {
      Process install =
          new ProcessBuilder(
                  MlflowServer.root().resolve("cluster/local/s3-server.sh").toString(), "install")
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String moto =
          new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!install.waitFor(15, TimeUnit.MINUTES) || install.exitValue() != 0) {
        throw new IllegalStateException("Cannot set up the S3 test server: s3-server.sh failed");
      }
      int port = freePort();
      Files.createDirectories(logDir);
      Process p =
          new ProcessBuilder(moto, "-H", "127.0.0.1", "-p", String.valueOf(port))
              .redirectErrorStream(true)
              .redirectOutput(logDir.resolve("moto.log").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
          return new S3("http://127.0.0.1:" + port, p);
        } catch (IOException e) {
          Thread.sleep(200);
        }
      }
      p.destroyForcibly();
      throw new IllegalStateException("The S3 test server did not answer on port " + port);
    }

    /** Creates a bucket (path-style PUT; moto accepts unsigned requests). */
    void createBucket(String bucket) throws Exception {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(endpoint + "/" + bucket))
                      .PUT(HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("Cannot create bucket " + bucket + ": " + r.body());
      }
    }

    /** The s3a settings that point Hadoop at this server. */
    void configure(Configuration conf) {
      conf.set("fs.s3a.endpoint", endpoint);
      conf.set("fs.s3a.path.style.access", "true");
      conf.set("fs.s3a.connection.ssl.enabled", "false");
      conf.set("fs.s3a.access.key", "plumb-test");
      conf.set("fs.s3a.secret.key", "plumb-test");
      conf.set(
          "fs.s3a.aws.credentials.provider",
          "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
      conf.set("fs.s3a.attempts.maximum", "2");
      conf.set("fs.s3a.retry.limit", "2");
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** An in-process HDFS with one data node. */
  static MiniDFSCluster hdfs(Path baseDir) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.toString());
    conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    return cluster;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
