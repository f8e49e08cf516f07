# Reference numbers for the dynamic spatial panels of spatialnqpf.models.spatial_panel(dynamic=...)
# on the cigarette-demand panel (46 states x 1963-1992; tests/reference/cigar_panel.csv and
# cigar_w46_edges.csv, row-standardised; the first year 1963 only supplies the lags).
#
# Run:  cd tests/reference && R_LIBS=/path/to/patched/SDPDmod/lib Rscript cigar_dynamic.R
# Out:  cigar_dynamic_results.csv  (case, term, estimate, se, se_kind)
#
# Two references:
#  (1) uncorrected QML (lee_yu=False) = spatialreg::lagsarlm (method "eigen", analytic
#      information-matrix SEs) on the stacked years 1964..1992 with listw = kronecker(I_29, W),
#      regressors y_{t-1}, W y_{t-1}, x, W x and unit (+ year) dummies.  Cases "lagsarlm_*".
#  (2) the Yu-de Jong-Lee (2008) / Lee-Yu (2010) bias-corrected QML (lee_yu=True) of R SDPDmod
#      0.0.6 SDPDm(dynamic=TRUE, LYtrans=TRUE), CRAN source (github:cran/SDPDmod) built under
#      Debian's R 4.2 into a private library with three local edits (never committed):
#        a. R/SDPDm.R, dynamic branch: solve(Matrix::nearPD(SIG)$mat) -> solve(SIG)
#           (the documented defect: the bias correction must use SIG itself);
#        b. R/SDPDm.R: optimize(f_sar, ..., tol = 1e-11) (default tol 1.2e-4 in rho);
#        c. R/likelihood.R: the log-determinant read from the 0.001 grid by nearest point
#           (detval[ind,2]) -> stats::splinefun(detval[,1], detval[,2])(rho) (cubic spline on the
#           same grid; error far below 1e-9).
#      Cases "sdpdm_*": coefficients after correction (coefficients1, rho1, sige1); "se" = the
#      SDPDmod sandwich SE (mu4 from its reduced-form residuals).  Also the uncorrected SDPDmod estimate (coefficients, rho, sige) as "*_uncorrected".
#  Point short- and long-run effects (Debarsy, Ertur & LeSage 2012) at each estimate by dense
#  solves: S = (I - rho W)^-1 (b I + t W); L = ((1 - tau) I - (rho + eta) W)^-1 (b I + t W).
suppressPackageStartupMessages({library(spdep); library(spatialreg); library(Matrix); library(SDPDmod)})
d <- read.csv("cigar_panel.csv")
d <- d[order(d$year, d$state), ]
codes <- sort(unique(d$state)); N <- length(codes); years <- sort(unique(d$year)); TT <- length(years)
e <- read.csv("cigar_w46_edges.csv", comment.char = "#")
B <- matrix(0, N, N); B[cbind(match(e$focal, codes), match(e$neighbor, codes))] <- 1
W <- B / rowSums(B)
Y <- matrix(d$logc, N, TT)      # column t = year t (time-major stacking, states ascending)
lag <- function(v) as.vector(kronecker(diag(TT), W) %*% v)
Wp <- lag(d$logp); Wyv <- lag(d$logy); Wc <- lag(d$logc)
keep <- d$year > years[1]
prev <- match(paste(d$state, d$year - 1), paste(d$state, d$year))
D <- data.frame(y = d$logc, y_lag = d$logc[prev], W_y_lag = Wc[prev], logp = d$logp, logy = d$logy,
                W_logp = Wp, W_logy = Wyv, st = factor(d$state), yr = factor(d$year))[keep, ]
T1 <- TT - 1
lw <- mat2listw(kronecker(diag(T1), W), style = "W")
ctl <- list(pre_eig = rep(eigen(W, only.values = TRUE)$values, T1))
out <- list()
effects_rows <- function(case, b, th, rho, tau, eta) {
  rows <- list()
  for (k in seq_along(b)) {
    C <- b[k] * diag(N) + th[k] * W
    S <- solve(diag(N) - rho * W, C)
    L <- solve((1 - tau) * diag(N) - (rho + eta) * W, C)
    nm <- names(b)[k]
    for (h in c("short", "long")) {
      M <- if (h == "short") S else L
      dd <- sum(diag(M)) / N; tt <- sum(M) / N
      rows[[length(rows) + 1]] <- data.frame(case = case, term = paste(h, c("direct", "indirect", "total"), nm, sep = ":"),
                                             estimate = c(dd, tt - dd, tt), se = NA, se_kind = "")
    }
  }
  do.call(rbind, rows)
}
rec_lagsarlm <- function(case, f, sdm) {
  fit <- lagsarlm(f, data = D, listw = lw, method = "eigen", control = ctl)
  co <- summary(fit)$Coef
  keepr <- !grepl("^(st|yr|\\(Intercept\\))", rownames(co))
  r <- data.frame(case = case, term = rownames(co)[keepr], estimate = co[keepr, 1], se = co[keepr, 2], se_kind = "info")
  r <- rbind(r, data.frame(case = case, term = c("rho", "sigma2", "llf"),
                           estimate = c(fit$rho, fit$s2, as.numeric(logLik(fit))), se = c(fit$rho.se, NA, NA), se_kind = c("info", "", "")))
  cf <- setNames(co[, 1], rownames(co))
  b <- cf[c("logp", "logy")]; th <- if (sdm) cf[c("W_logp", "W_logy")] else c(0, 0)
  r <- rbind(r, effects_rows(case, b, th, fit$rho, cf["y_lag"], cf["W_y_lag"]))
  out[[case]] <<- r
}
rec_lagsarlm("lagsarlm_sdm_twoways", y ~ y_lag + W_y_lag + logp + logy + W_logp + W_logy + st + yr, TRUE)
rec_lagsarlm("lagsarlm_sar_individual", y ~ y_lag + W_y_lag + logp + logy + st, FALSE)
rec_lagsarlm("lagsarlm_sdm_individual", y ~ y_lag + W_y_lag + logp + logy + W_logp + W_logy + st, TRUE)
rec_lagsarlm("lagsarlm_sar_twoways", y ~ y_lag + W_y_lag + logp + logy + st + yr, FALSE)

# ---------------------------------------------------------------- SDPDmod (patched copy)
rec_sdpd <- function(case, model, effect) {
  fit <- SDPDm(logc ~ logp + logy, data = d, W = W, index = c("state", "year"), model = model,
               effect = effect, dynamic = TRUE, tlaginfo = list(ind = NULL, tl = TRUE, stl = TRUE),
               LYtrans = TRUE)
  nm <- c("y_lag", "W_y_lag", "logp", "logy", if (model == "sdm") c("W_logp", "W_logy"))
  th1 <- c(fit$coefficients1, fit$rho1, fit$sige1)
  th0 <- c(fit$coefficients, fit$rho, fit$sige)
  kz <- length(nm)
  se_sw <- sqrt(diag(fit$varcov))
  r <- data.frame(case = case, term = c(nm, "rho", "sigma2"), estimate = th1, se = se_sw, se_kind = "sdpdmod_sandwich")
  r <- rbind(r, data.frame(case = case, term = paste0(c(nm, "rho", "sigma2"), "_uncorrected"), estimate = th0, se = NA, se_kind = ""))
  b <- setNames(th1[3:4], c("logp", "logy")); tt <- if (model == "sdm") th1[5:6] else c(0, 0)
  r <- rbind(r, effects_rows(case, b, tt, th1[kz + 1], th1[1], th1[2]))
  r <- rbind(r, data.frame(case = case, term = "likl1", estimate = fit$likl1, se = NA, se_kind = ""))
  out[[case]] <<- r
}
rec_sdpd("sdpdm_sdm_twoways", "sdm", "twoways")
rec_sdpd("sdpdm_sar_individual", "sar", "individual")
rec_sdpd("sdpdm_sdm_individual", "sdm", "individual")
res <- do.call(rbind, out)
con <- file("cigar_dynamic_results.csv", "w")
writeLines(c(sprintf("# %s; spatialreg %s; spdep %s; SDPDmod %s (patched copy, see cigar_dynamic.R)",
                     R.version.string, packageVersion("spatialreg"), packageVersion("spdep"), packageVersion("SDPDmod")),
             "# generated by tests/reference/cigar_dynamic.R"), con)
write.csv(res, con, row.names = FALSE)
close(con)
print(res, digits = 10)
