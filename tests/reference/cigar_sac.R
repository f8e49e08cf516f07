# Reference numbers for spatial_panel(model="sac") on the cigarette panel: R spatialreg sacsarlm
# (method "eigen", same W for lag and error) on explicitly transformed stacked data.
#   sac_individual, sac_twoways          : lee_yu=False; unit-demeaned data (+ year dummies for
#                                          two-way; with row-standardised W the (I - lambda W)-filtered
#                                          dummies span the dummies, so this is the FE ML estimator)
#   sac_twoways_leeyu                    : lee_yu=True; Lee-Yu F_{T,T-1}/F_{N,N-1}-transformed data,
#                                          W* = F_N' W F_N (see cigar_leeyu.R)
# sacsarlm's standard errors come from a numerical (finite-difference) Hessian of the full
# log-likelihood, as do ours for SAC.
# Tool: R + spatialreg (versions in the output header).
# Run:  cd tests/reference && Rscript cigar_sac.R     Out: cigar_sac_results.csv
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
d <- read.csv("cigar_panel.csv")
codes <- sort(unique(d$state)); N <- length(codes); TT <- length(unique(d$year))
e <- read.csv("cigar_w46_edges.csv", comment.char = "#")
B <- matrix(0, N, N); B[cbind(match(e$focal, codes), match(e$neighbor, codes))] <- 1
W <- B / rowSums(B)
udm <- function(v) v - ave(v, d$state)
out <- list()
rec <- function(case, fit) {
  co <- summary(fit)$Coef
  keep <- !grepl("^yr", rownames(co))
  r <- data.frame(case = case, term = rownames(co)[keep], estimate = co[keep, 1], se = co[keep, 2])
  r <- rbind(r, data.frame(case = case, term = c("rho", "lambda", "sigma2", "llf"),
                           estimate = c(fit$rho, fit$lambda, fit$s2, as.numeric(logLik(fit))),
                           se = c(fit$rho.se, fit$lambda.se, NA, NA)))
  out[[case]] <<- r
}
lw <- mat2listw(kronecker(diag(TT), W), style = "W")
ev <- rep(eigen(W, only.values = TRUE)$values, TT)
ctl <- list(pre_eig1 = ev, pre_eig2 = ev)
D <- data.frame(y = udm(d$logc), logp = udm(d$logp), logy = udm(d$logy), yr = factor(d$year))
rec("sac_individual", sacsarlm(y ~ logp + logy - 1, data = D, listw = lw, method = "eigen", control = ctl))
rec("sac_twoways", sacsarlm(y ~ logp + logy + yr - 1, data = D, listw = lw, method = "eigen", control = ctl))
# Lee-Yu transformed
orth <- function(n) { ev <- eigen(diag(n) - matrix(1 / n, n, n), symmetric = TRUE); ev$vectors[, ev$values > 0.5] }
FN <- orth(N); FT <- orth(TT)
tf <- function(v) as.vector(t(FN) %*% matrix(v, N, TT) %*% FT)
Ws <- t(FN) %*% W %*% FN
big <- kronecker(diag(TT - 1), Ws)
nb <- mat2listw(abs(big) * (abs(big) > 1e-14), style = "M")$neighbours
lws <- nb2listw(nb, glist = lapply(seq_along(nb), function(i) big[i, nb[[i]]]), style = "B", zero.policy = TRUE)
evs <- rep(Re(eigen(Ws, only.values = TRUE)$values), TT - 1)
Dl <- data.frame(y = tf(d$logc), logp = tf(d$logp), logy = tf(d$logy))
rec("sac_twoways_leeyu", sacsarlm(y ~ logp + logy - 1, data = Dl, listw = lws, method = "eigen",
                                  control = list(pre_eig1 = evs, pre_eig2 = evs), zero.policy = TRUE))
res <- do.call(rbind, out)
hdr <- c(sprintf("# R %s; spatialreg %s; spdep %s; date %s", getRversion(), packageVersion("spatialreg"),
                 packageVersion("spdep"), Sys.Date()),
         "# Produced by tests/reference/cigar_sac.R: sacsarlm (method='eigen') on transformed data; see the script header.",
         "# sigma2 = fit$s2; llf = logLik; se from summary()$Coef, rho.se, lambda.se (numerical Hessian)")
writeLines(hdr, "cigar_sac_results.csv")
suppressWarnings(write.table(res, "cigar_sac_results.csv", sep = ",", append = TRUE, na = "", row.names = FALSE, quote = FALSE))
print(res)
