/**
 * The {@code treecast} command line: {@link io.treecast.cli.TreecastCli} and one class per command
 * ({@code serve}, {@code set}, {@code delete}, {@code get}, {@code sub}, {@code bench}).
 *
 * <pre>{@code
 * int exit = TreecastCli.run(new String[]{"set", "markets/eu/fx/EURUSD/bid", "1.0842"}, System.out, System.err);
 * }</pre>
 */
package io.treecast.cli;
