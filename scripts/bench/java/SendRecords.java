// The generator bench's Kafka peer: the Java client sending exactly our records (topic, user-id key, JSON
// value, timestamp and the eight ce_* headers), read beforehand from a file the bench writes, one record
// per line: topic TAB key TAB timestamp TAB value, then TAB header-name TAB header-value pairs.
// Idempotent, acks=all, the client's default batching. Run as a single-file program (java SendRecords.java):
// prints "<records> records in <seconds> s", timed from the first send to the last acknowledgement.
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class SendRecords {
  public static void main(String[] args) throws Exception {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(Path.of(args[1]), UTF_8)) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] f = line.split("\t", -1);
        RecordHeaders headers = new RecordHeaders();
        for (int i = 4; i + 1 < f.length; i += 2) headers.add(f[i], f[i + 1].getBytes(UTF_8));
        records.add(new ProducerRecord<>(f[0], null, Long.parseLong(f[2]), f[1].getBytes(UTF_8), f[3].getBytes(UTF_8), headers));
      }
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("acks", "all");
    props.put("enable.idempotence", "true");
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      producer.partitionsFor(records.get(0).topic());
      long start = System.nanoTime();
      for (ProducerRecord<byte[], byte[]> record : records) {
        producer.send(record, (metadata, error) -> {
          if (error != null) {
            error.printStackTrace();
            System.exit(1);
          }
        });
      }
      producer.flush();
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("%d records in %.3f s%n", records.size(), seconds);
    }
  }
}
