/**
 * Image classification data sets (MNIST, Fashion-MNIST, CIFAR-10): their file formats, their
 * on-disk layout under a data root, fetching them, and an in-memory uint8 image set that hands
 * out float batches as DJL arrays.
 */
package org.certkit.data;
