# Reference numbers for spatialnqpf.models.spatial_panel(lee_yu=True) on the cigarette panel:
# R spatialreg ML on the data transformed EXPLICITLY as in Lee & Yu (2010, J. Econometrics 154),
# i.e. with the orthonormal eigenvector matrices F_{T,T-1} (individual effects) and F_{N,N-1}
# (time effects) of the demeaning projections, and W* = F_N' W F_N (valid for row-standardised W:
# F_N' W y_t = W* F_N' y_t because F_N' W iota = F_N' iota = 0).  lagsarlm/errorsarlm then maximise
# exactly the Lee-Yu transformed likelihood:
#   -(m/2) ln(2 pi s2) + T* ln|I_{N*} - rho W*| - e'e/(2 s2)
# with ln|I - rho W*| = ln|I - rho W| - ln(1 - rho).  This is independent of spatialnqpf's shortcut
# (demeaned data, eigenvalues of W, the -ln(1-rho) term, trace corrections for the information matrix).
#
# Tool: R + spatialreg (versions in the output header).
# Run:  cd tests/reference && Rscript cigar_leeyu.R        (reads cigar_panel.csv, cigar_w46_edges.csv;
#       both written by cigar_export_w.py / cigar_spatialreg.R)
# Out:  cigar_leeyu_results.csv (case, term, estimate, se)
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
d <- read.csv("cigar_panel.csv")             # time-major; logc, logp, logy as in cigar_spatialreg.R
codes <- sort(unique(d$state)); years <- sort(unique(d$year)); N <- length(codes); TT <- length(years)
e <- read.csv("cigar_w46_edges.csv", comment.char = "#")
B <- matrix(0, N, N); B[cbind(match(e$focal, codes), match(e$neighbor, codes))] <- 1
W <- B / rowSums(B)
orth <- function(n) { ev <- eigen(diag(n) - matrix(1 / n, n, n), symmetric = TRUE)
                      ev$vectors[, ev$values > 0.5, drop = FALSE] }
FN <- orth(N); FT <- orth(TT)
mat <- function(v) matrix(v, N, TT)           # column t = year t
WT <- function(v) as.vector(W %*% mat(v))
# transform a time-major vector: individual (F_T), time (F_N) or both
tf <- function(v, fe) {
  M <- mat(v)
  if (fe %in% c("time", "twoways")) M <- t(FN) %*% M
  if (fe %in% c("individual", "twoways")) M <- M %*% FT
  as.vector(M)
}
out <- list()
run <- function(case, model, fe) {
  Ws <- if (fe %in% c("time", "twoways")) t(FN) %*% W %*% FN else W
  nT <- if (fe %in% c("individual", "twoways")) TT - 1 else TT
  big <- kronecker(diag(nT), Ws)
  # mat2listw refuses negative weights: neighbour sets from |W*|, signed weights via glist
  nb <- mat2listw(abs(big) * (abs(big) > 1e-14), style = "M")$neighbours
  lw <- nb2listw(nb, glist = lapply(seq_along(nb), function(i) big[i, nb[[i]]]), style = "B", zero.policy = TRUE)
  ev <- rep(eigen(Ws, only.values = TRUE)$values, nT)
  D <- data.frame(y = tf(d$logc, fe), logp = tf(d$logp, fe), logy = tf(d$logy, fe),
                  W_logp = tf(WT(d$logp), fe), W_logy = tf(WT(d$logy), fe))
  f <- if (model %in% c("sdm", "sdem")) y ~ logp + logy + W_logp + W_logy - 1 else y ~ logp + logy - 1
  ctl <- list(pre_eig = Re(ev))
  fit <- if (model %in% c("sar", "sdm")) lagsarlm(f, data = D, listw = lw, method = "eigen", control = ctl, zero.policy = TRUE)
         else errorsarlm(f, data = D, listw = lw, method = "eigen", control = ctl, zero.policy = TRUE)
  co <- summary(fit)$Coef
  r <- data.frame(case = case, term = rownames(co), estimate = co[, 1], se = co[, 2])
  sp <- if (model %in% c("sar", "sdm")) c("rho", fit$rho, fit$rho.se) else c("lambda", fit$lambda, fit$lambda.se)
  r <- rbind(r, data.frame(case = case, term = sp[1], estimate = as.numeric(sp[2]), se = as.numeric(sp[3])),
             data.frame(case = case, term = c("sigma2", "llf"), estimate = c(fit$s2, as.numeric(logLik(fit))), se = NA))
  out[[case]] <<- r
}
run("sar_twoways", "sar", "twoways"); run("sdm_twoways", "sdm", "twoways")
run("sem_twoways", "sem", "twoways"); run("sdem_twoways", "sdem", "twoways")
run("sdm_individual", "sdm", "individual"); run("sar_time", "sar", "time")
res <- do.call(rbind, out)
hdr <- c(sprintf("# R %s; spatialreg %s; spdep %s; date %s", getRversion(), packageVersion("spatialreg"),
                 packageVersion("spdep"), Sys.Date()),
         "# Produced by tests/reference/cigar_leeyu.R: lagsarlm/errorsarlm (method='eigen') on Lee-Yu F-transformed data.",
         "# sigma2 = fit$s2 = e'e/m (m = transformed sample size); llf = logLik; se = asymptotic (analytic) SEs")
writeLines(hdr, "cigar_leeyu_results.csv")
suppressWarnings(write.table(res, "cigar_leeyu_results.csv", sep = ",", append = TRUE, na = "", row.names = FALSE, quote = FALSE))
print(res)
