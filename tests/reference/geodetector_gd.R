# Reference for spatialnqpf.patterns.geodetector: R GD 10.8 (and geodetector 1.0-5).
# GD and geodetector are CRAN packages not in Debian: built under Debian's R from
# github:cran/GD, github:cran/geodetector (BAMMtools::getJenksBreaks, GD's only non-base
# import, from github:cran/BAMMtools in a one-function local package). Not committed.
# Run: R_LIBS=/tmp/rlib Rscript geodetector_gd.R   (reads geodetector_data.csv)
suppressMessages({library(GD); library(geodetector)})
d <- read.csv("geodetector_data.csv", stringsAsFactors = FALSE)
methods <- c("equal", "natural", "quantile", "geometric", "sd")
od <- optidisc(y ~ x1 + x2 + x3, data = d[, c("y", "x1", "x2", "x3")],
               discmethod = methods, discitv = 3:7)
opgd <- do.call(rbind, lapply(names(od), function(v)
  data.frame(factor = v, method = od[[v]]$method, k = od[[v]]$n.itv,
             breaks = paste(sprintf("%.17g", od[[v]]$itv), collapse = ";"))))
write.csv(opgd, "geodetector_gd_opgd.csv", row.names = FALSE)
qm <- do.call(rbind, lapply(names(od), function(v) {
  m <- od[[v]]$qv.matrix
  data.frame(factor = v, k = rep(as.integer(rownames(m)), ncol(m)),
             method = rep(colnames(m), each = nrow(m)), q = sprintf("%.17g", c(m)))}))
write.csv(qm, "geodetector_gd_opgd_q.csv", row.names = FALSE)
# strata: the OPGD discretisation (as gdm) plus the categorical c1, c2
s <- d
for (v in names(od)) s[[v]] <- cut(d[[v]], unique(od[[v]]$itv), include.lowest = TRUE)
s$c1 <- factor(s$c1); s$c2 <- factor(s$c2)
vars <- c("x1", "x2", "x3", "c1", "c2")
g <- gd(y ~ x1 + x2 + x3 + c1 + c2, data = s[, c("y", vars)])$Factor
# F and lambda as in GD's FunQ (no one-unit strata here, so GD's removal is inert)
extra <- do.call(rbind, lapply(vars, function(v) {
  y <- s$y; x <- s[[v]]; n <- length(y); L <- nlevels(droplevels(x))
  q <- g$qv[g$variable == v]
  Fv <- ((n - L) * q) / ((L - 1) * (1 - q))
  m0 <- tapply(y, x, mean); cnt <- table(x)
  lam <- (sum(m0^2) - sum(m0 * sqrt(cnt))^2 / n) / (var(y) * (n - 1) / n)
  data.frame(factor = v, q = sprintf("%.17g", q), F = sprintf("%.17g", Fv),
             lambda = sprintf("%.17g", lam), df1 = L - 1, df2 = n - L,
             p_value = sprintf("%.17g", pf(Fv, L - 1, n - L, ncp = lam, lower.tail = FALSE)))}))
write.csv(extra, "geodetector_gd_factor.csv", row.names = FALSE)
it <- gdinteract(y ~ x1 + x2 + x3 + c1 + c2, data = s[, c("y", vars)])$Interaction
it$qv1 <- sprintf("%.17g", it$qv1); it$qv2 <- sprintf("%.17g", it$qv2)
it$qv12 <- sprintf("%.17g", it$qv12)
write.csv(it, "geodetector_gd_interaction.csv", row.names = FALSE)
rk <- gdrisk(y ~ c1 + x1, data = s[, c("y", "c1", "x1")])
rk <- do.call(rbind, lapply(names(rk), function(v) cbind(factor = v, rk[[v]])))
rk$t <- sprintf("%.17g", rk$t); rk$df <- sprintf("%.17g", rk$df); rk$sig <- sprintf("%.17g", rk$sig)
write.csv(rk, "geodetector_gd_risk.csv", row.names = FALSE)
# one-unit strata kept: R geodetector::factor_detector on c3 (two strata of one unit)
fd <- factor_detector("y", "c3", d)[[1]]
write.csv(data.frame(factor = "c3", q = sprintf("%.17g", fd[1, 1]),
                     p_geodetector = sprintf("%.17g", fd[1, 2])),
          "geodetector_r_geodetector_c3.csv", row.names = FALSE)
cat("done\n")
# interaction with one-unit crossed strata kept: geodetector::factor_detector on the
# crossed strata (GD's gdinteract drops them; min_cell tells where the two agree)
s$c3 <- d$c3
vv <- c(vars, "c3")
pr <- t(combn(vv, 2))
ix <- do.call(rbind, lapply(seq_len(nrow(pr)), function(i) {
  a <- pr[i, 1]; b <- pr[i, 2]
  tab <- data.frame(y = s$y, xa = as.character(s[[a]]), xb = as.character(s[[b]]))
  tab$xab <- paste(tab$xa, tab$xb, sep = "_")
  qa <- factor_detector("y", "xa", tab)[[1]][1, 1]
  qb <- factor_detector("y", "xb", tab)[[1]][1, 1]
  qab <- factor_detector("y", "xab", tab)[[1]][1, 1]
  data.frame(factor_a = a, factor_b = b, q_a = sprintf("%.17g", qa),
             q_b = sprintf("%.17g", qb), q_ab = sprintf("%.17g", qab),
             min_cell = min(table(tab$xab)))}))
write.csv(ix, "geodetector_r_geodetector_interaction.csv", row.names = FALSE)
cat("done2\n")
