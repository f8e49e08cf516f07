# Reference numbers for spatialnqpf.models.spatial_panel (direct ML, lee_yu=False) on the
# cigarette-demand panel, from R spatialreg on explicitly transformed, time-major stacked data.
#
# Tool: R (see header of the output), spatialreg, spdep, plm (versions written to the output).
# Run:  cd tests/reference && Rscript cigar_spatialreg.R
# Out:  cigar_panel.csv            (state, year, logc, logp, logy; the data the tests use)
#       cigar_spatialreg_results.csv (case, term, estimate, se)
#
# Variables (plm::Cigar, Baltagi; 46 states x 1963-1992):
#   logc = log(sales)        sales = cigarette sales in packs per capita (per person of 14+)
#   logp = log(price / cpi)  price = average price per pack (cents), cpi = consumer price index (1983=100)
#   logy = log(ndi / cpi)    ndi   = per-capita disposable income
# W: tests/reference/cigar_w46_edges.csv (libpysal spat-sym-us, binary contiguity), row-standardised.
#
# Equivalences used (the point of this script):
#  * individual FE: unit demeaning commutes with kronecker(I_T, W), so lagsarlm/errorsarlm on the
#    unit-demeaned data with listw = kronecker(I_T, W) and no intercept is the FE ML estimator.
#  * time / two-way FE: year effects enter as T year dummies in the R regression (on raw data for
#    time FE, on unit-demeaned data for two-way FE).  Concentrating the dummies out is the same as
#    demeaning y, X AND the spatial lag W*y by year (demeaned(W y)), which is NOT the same as
#    W*(demeaned y) because the column sums of W are not 1.  For the error model the dummies are
#    transformed by (I - lambda W); with row-standardised W, (I - lambda W) iota = (1 - lambda) iota, so
#    the transformed dummies span the same space and the estimator equals demeaning (I - lambda W)(y - X b).
#  * SDM / SDEM: the W*x columns are built explicitly as kronecker(I_T, W) %*% x (before demeaning),
#    then treated like the other regressors.
suppressPackageStartupMessages({library(plm); library(spdep); library(spatialreg); library(Matrix)})
data(Cigar, package = "plm")
d <- data.frame(state = Cigar$state, year = 1900 + Cigar$year,
                logc = log(Cigar$sales), logp = log(Cigar$price / Cigar$cpi),
                logy = log(Cigar$ndi / Cigar$cpi))
d <- d[order(d$year, d$state), ]           # time-major
write.csv(d, "cigar_panel.csv", row.names = FALSE)
codes <- sort(unique(d$state)); N <- length(codes); TT <- length(unique(d$year))
e <- read.csv("cigar_w46_edges.csv", comment.char = "#")
B <- matrix(0, N, N); B[cbind(match(e$focal, codes), match(e$neighbor, codes))] <- 1
W <- B / rowSums(B)
WT <- kronecker(diag(TT), W)
lw <- mat2listw(WT, style = "W")
lagv <- function(v) as.vector(WT %*% v)
udm <- function(v) v - ave(v, d$state)
tdm <- function(v) v - ave(v, d$year)
yr <- factor(d$year)
out <- list()
rec <- function(case, fit, kind) {
  co <- if (kind == "ols") summary(fit)$coefficients else summary(fit)$Coef
  terms <- sub("^yr", "year_", rownames(co))
  keep <- !grepl("^year_", terms)
  r <- data.frame(case = case, term = terms[keep], estimate = co[keep, 1], se = co[keep, 2])
  if (kind == "lag") {
    r <- rbind(r, data.frame(case = case, term = "rho", estimate = fit$rho, se = fit$rho.se))
  } else if (kind == "error") {
    r <- rbind(r, data.frame(case = case, term = "lambda", estimate = fit$lambda, se = fit$lambda.se))
  }
  s2 <- if (kind == "ols") sum(residuals(fit)^2) / length(residuals(fit)) else fit$s2
  r <- rbind(r, data.frame(case = case, term = c("sigma2", "llf"),
                           estimate = c(s2, as.numeric(logLik(fit))), se = NA))
  out[[case]] <<- r
}
m <- "eigen"
ev <- rep(eigen(W, only.values = TRUE)$values, TT)   # eigenvalues of kronecker(I_T, W)
ctl <- list(pre_eig = ev)
# --- individual FE: unit-demeaned, no intercept
D <- data.frame(y = udm(d$logc), logp = udm(d$logp), logy = udm(d$logy),
                W_logp = udm(lagv(d$logp)), W_logy = udm(lagv(d$logy)))
rec("sar_individual", lagsarlm(y ~ logp + logy - 1, data = D, listw = lw, method = m, control = ctl), "lag")
rec("sdm_individual", lagsarlm(y ~ logp + logy + W_logp + W_logy - 1, data = D, listw = lw, method = m, control = ctl), "lag")
rec("sem_individual", errorsarlm(y ~ logp + logy - 1, data = D, listw = lw, method = m, control = ctl), "error")
rec("sdem_individual", errorsarlm(y ~ logp + logy + W_logp + W_logy - 1, data = D, listw = lw, method = m, control = ctl), "error")
# --- two-way FE: unit-demeaned + year dummies
D$yr <- yr
rec("sar_twoways", lagsarlm(y ~ logp + logy + yr - 1, data = D, listw = lw, method = m, control = ctl), "lag")
rec("sdm_twoways", lagsarlm(y ~ logp + logy + W_logp + W_logy + yr - 1, data = D, listw = lw, method = m, control = ctl), "lag")
rec("sem_twoways", errorsarlm(y ~ logp + logy + yr - 1, data = D, listw = lw, method = m, control = ctl), "error")
rec("sdem_twoways", errorsarlm(y ~ logp + logy + W_logp + W_logy + yr - 1, data = D, listw = lw, method = m, control = ctl), "error")
# --- time FE only: raw data + year dummies
R <- data.frame(y = d$logc, logp = d$logp, logy = d$logy, W_logp = lagv(d$logp), W_logy = lagv(d$logy), yr = yr)
rec("sar_time", lagsarlm(y ~ logp + logy + yr - 1, data = R, listw = lw, method = m, control = ctl), "lag")
rec("sdm_time", lagsarlm(y ~ logp + logy + W_logp + W_logy + yr - 1, data = R, listw = lw, method = m, control = ctl), "lag")
rec("sem_time", errorsarlm(y ~ logp + logy + yr - 1, data = R, listw = lw, method = m, control = ctl), "error")
# --- pooled (no FE), with intercept
rec("sar_none", lagsarlm(y ~ logp + logy, data = R, listw = lw, method = m, control = ctl), "lag")
rec("sem_none", errorsarlm(y ~ logp + logy, data = R, listw = lw, method = m, control = ctl), "error")
# --- SLX / OLS two-way (lm, ML sigma2 = SSE/NT, llf from logLik.lm = Gaussian ML)
rec("slx_twoways", lm(y ~ logp + logy + W_logp + W_logy + yr - 1, data = D), "ols")
rec("ols_individual", lm(y ~ logp + logy - 1, data = D), "ols")
res <- do.call(rbind, out)
hdr <- c(sprintf("# R %s; spatialreg %s; spdep %s; plm %s; date %s", getRversion(),
                 packageVersion("spatialreg"), packageVersion("spdep"), packageVersion("plm"), Sys.Date()),
         "# Produced by tests/reference/cigar_spatialreg.R (method='eigen'); see its header for the transformations.",
         "# sigma2 = ML residual variance (fit$s2; SSE/NT for lm); llf = logLik(fit); se = asymptotic SE from summary()$Coef / rho.se / lambda.se")
writeLines(hdr, "cigar_spatialreg_results.csv")
suppressWarnings(write.table(res, "cigar_spatialreg_results.csv", sep = ",", append = TRUE, na = "",
            row.names = FALSE, quote = FALSE))
print(res)
