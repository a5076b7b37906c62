/**
 * Paper reproductions as data plus writers. An {@link org.certkit.experiments.Experiment} keeps
 * its parameters per {@link org.certkit.experiments.Scale} in a record, computes an {@link
 * org.certkit.experiments.ExperimentResult} (table, figure, headline numbers), and {@link
 * org.certkit.experiments.ExperimentOutput} writes {@code result.csv}, {@code plot.png}
 * (JFreeChart), {@code summary.json} (Jackson, with provenance) and {@code summary.md}. {@link
 * org.certkit.experiments.ExperimentRegistry} lists them for {@code certkit experiment}.
 */
package org.certkit.experiments;
