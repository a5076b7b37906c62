package org.certkit.tightness.theory;

/**
 * Monte-Carlo estimates of the global tightness of random deep linear networks, as returned by
 * {@link InitializationTightnessEstimator}.
 *
 * @param expectedTightness {@code E(optimal radius) / E(layer-wise radius)} over networks and
 *     output dimensions: the expected tightness of section 3.3 ({@code tau} of Lemma 3.7)
 * @param slackness {@code E(layer-wise radius) / E(optimal radius)}: {@code g(n)} of Lemma B.2
 *     for two layers of internal width {@code n}
 * @param meanOfRatios the mean over networks of {@link GlobalTightness#meanOfRatios()}
 */
public record TightnessEstimate(MonteCarloEstimate expectedTightness,
    MonteCarloEstimate slackness, MonteCarloEstimate meanOfRatios) {}
