# Reference for spatialnqpf.network: R sna 2.7-1 (Debian r-cran-sna) and concorR 0.2.1
# (github:cran/concorR built under Debian's R; not committed).
# Run: R_LIBS=/tmp/rlib Rscript network_sna.R   (reads network_*.csv from network_data.py)
suppressMessages({library(sna); library(concorR)})
rd <- function(f) { m <- as.matrix(read.csv(f, row.names = 1, check.names = FALSE)); m }
out <- list()
g17 <- function(v) sprintf("%.17g", v)
for (nm in c("gravity", "random", "conn")) {
  a <- rd(paste0("network_", nm, "_a.csv"))
  n <- nrow(a)
  gm <- data.frame(network = nm, density = g17(gden(a)),
                   connectedness = g17(connectedness(a)),
                   hierarchy = g17(hierarchy(a, measure = "krackhardt")),
                   efficiency = g17(efficiency(a)))
  write.csv(gm, paste0("network_sna_", nm, "_graph.csv"), row.names = FALSE)
  nd <- data.frame(id = rownames(a),
                   in_degree = degree(a, cmode = "indegree"),
                   out_degree = degree(a, cmode = "outdegree"),
                   betweenness = g17(betweenness(a, gmode = "digraph") / ((n - 1) * (n - 2))),
                   closeness_out = g17(closeness(a, gmode = "digraph")),
                   closeness_in = g17(closeness(t(a), gmode = "digraph")),
                   closeness = g17(closeness(a, gmode = "graph")))
  write.csv(nd, paste0("network_sna_", nm, "_nodes.csv"), row.names = FALSE)
  bl <- concor(list(a), nsplit = 2)
  write.csv(bl, paste0("network_concor_", nm, ".csv"), row.names = FALSE)
}
y <- rd("network_gravity_y.csv"); x1 <- rd("network_x1.csv"); x2 <- rd("network_x2.csv")
set.seed(1)
fit <- netlm(y, list(x1, x2), nullhyp = "qapspp", reps = 5000)
write.csv(data.frame(term = fit$names, estimate = g17(fit$coefficients),
                     t = g17(fit$tstat), p_abs = fit$pgreqabs, p_greater = fit$pgreq,
                     p_less = fit$pleeq), "network_sna_netlm.csv", row.names = FALSE)
set.seed(2)
fit1 <- netlm(y, x1, nullhyp = "qapspp", reps = 5000)   # one regressor: netlm uses qapy
write.csv(data.frame(term = fit1$names, estimate = g17(fit1$coefficients),
                     t = g17(fit1$tstat), p_abs = fit1$pgreqabs, p_greater = fit1$pgreq,
                     p_less = fit1$pleeq), "network_sna_netlm1.csv", row.names = FALSE)
set.seed(3)
qt <- qaptest(list(y, x2), gcor, g1 = 1, g2 = 2, reps = 5000)
write.csv(data.frame(term = "x2", r = g17(qt$testval), p_greater = qt$pgreq,
                     p_less = qt$pleeq, p_abs = mean(abs(qt$dist) >= abs(qt$testval))),
          "network_sna_qaptest.csv", row.names = FALSE)
cat("done\n")
