package org.malipo.gateway.rail;

import io.netty.channel.ChannelOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.malipo.gateway.common.ClientSpans;
import org.malipo.gateway.rail.mpesa.MpesaB2cRail;
import org.malipo.gateway.rail.mpesa.MpesaRail;
import org.malipo.gateway.rail.mtnmomo.MtnMomoDisbursementRail;
import org.malipo.gateway.sandbox.SandboxServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Builds {@link PayoutRails}: M-Pesa B2C on the STK rail's Daraja app (same host and token), MoMo
 * Disbursements with its own product credentials and connection pool. A rail whose collection
 * side is not configured has no money-out side either. Kept apart from {@link RailConfiguration}
 * so that adding collection rails and adding money-out rails touch different files.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PayoutRailProperties.class)
class PayoutRailConfiguration {

  private static final Logger log = LoggerFactory.getLogger(PayoutRailConfiguration.class);
  private static final int MAX_ANSWER_BYTES = 64 * 1024;

  /** The money-out rails; the MoMo Disbursements pool closes with the context. */
  @Bean(destroyMethod = "close")
  PayoutRailsHolder payoutRailsHolder(PayoutRailProperties properties, MobileMoneyRailProperties collection,
      MobileMoneyRails mobileMoneyRails, ObjectProvider<SandboxServer> sandbox, ObjectProvider<CallbackUrls> callbackUrls,
      ObjectProvider<Clock> clock, ClientSpans spans) {
    List<PayoutRail> rails = new ArrayList<>();
    ConnectionProvider pool = null;
    CallbackUrls urls = callbackUrls.getIfAvailable();
    SandboxServer server = sandbox.getIfAvailable();
    MpesaRail mpesa = mobileMoneyRails.rails().keySet().stream()
        .filter(MpesaRail.class::isInstance).map(MpesaRail.class::cast).findFirst().orElse(null);
    boolean mpesaSandboxed = collection.mpesa().baseUrl().isEmpty();
    PayoutRailProperties.Mpesa b2c = properties.mpesa();
    if (mpesa != null && urls != null && credentialed(mpesaSandboxed, "mpesa", b2c.initiatorName(), b2c.securityCredential())) {
      rails.add(new MpesaB2cRail(mpesa,
          or(b2c.initiatorName(), SandboxServer.MPESA_INITIATOR_NAME),
          or(b2c.securityCredential(), SandboxServer.MPESA_SECURITY_CREDENTIAL),
          b2c.shortcode(), urls, !mpesaSandboxed));
    }
    MobileMoneyRailProperties.MtnMomo momo = collection.mtnMomo();
    boolean momoCollecting = mobileMoneyRails.rails().keySet().stream()
        .anyMatch(rail -> rail.operator().orElse(null) == MobileMoneyOperator.MTN_MOMO);
    boolean sandboxed = momo.baseUrl().isEmpty();
    PayoutRailProperties.MtnMomo disbursement = properties.mtnMomo();
    if (momoCollecting && urls != null && (!sandboxed || server != null)
        && credentialed(sandboxed, "mtn_momo", disbursement.subscriptionKey(), disbursement.apiUser(), disbursement.apiKey())) {
      pool = ConnectionProvider.builder("rail-mtn_momo-disbursement")
          .maxConnections(momo.maxConcurrentCalls())
          .pendingAcquireMaxCount(momo.maxConcurrentCalls() * 4)
          .pendingAcquireTimeout(momo.timeout())
          .maxIdleTime(Duration.ofSeconds(20))
          .build();
      HttpClient http = HttpClient.create(pool)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1_000)
          .responseTimeout(momo.timeout());
      WebClient client = spans.applyTo(WebClient.builder(), "mtn_momo")
          .baseUrl(sandboxed ? server.mtnMomoBaseUrl() : momo.baseUrl())
          .clientConnector(new ReactorClientHttpConnector(http))
          .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES))
          .build();
      rails.add(new MtnMomoDisbursementRail(client,
          or(disbursement.subscriptionKey(), SandboxServer.MOMO_DISBURSEMENT_SUBSCRIPTION_KEY),
          or(disbursement.apiUser(), SandboxServer.MOMO_DISBURSEMENT_API_USER),
          or(disbursement.apiKey(), SandboxServer.MOMO_DISBURSEMENT_API_KEY),
          momo.targetEnvironment(), urls, clock.getIfAvailable(Clock::systemUTC), !sandboxed));
    }
    log.info("money-out rails: {}", rails.stream().map(PayoutRail::name).toList());
    return new PayoutRailsHolder(new PayoutRails(rails), pool);
  }

  /** The money-out rails, for the payout and refund modules. */
  @Bean
  PayoutRails payoutRails(PayoutRailsHolder holder) {
    return holder.rails();
  }

  /** The rails and the pool to release with the context. */
  record PayoutRailsHolder(PayoutRails rails, ConnectionProvider pool) implements AutoCloseable {
    @Override
    public void close() {
      if (pool != null) {
        pool.dispose();
      }
    }
  }

  private static String or(String configured, String sandboxValue) {
    return configured.isEmpty() ? sandboxValue : configured;
  }

  /**
   * Whether a rail's money-out side can be built: the sandbox's credentials serve the sandbox; a
   * real host needs every credential, else the rail collects but pays out nothing (payouts to its
   * operator are refused, refunds of its payments fail) and the log says why.
   */
  private static boolean credentialed(boolean sandboxed, String rail, String... credentials) {
    if (sandboxed || java.util.Arrays.stream(credentials).noneMatch(String::isEmpty)) {
      return true;
    }
    log.warn("rail {}: no money-out credentials (malipo.rails.payouts.*): payouts and refunds through it are off", rail);
    return false;
  }
}
