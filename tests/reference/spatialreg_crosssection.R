# Reference values for spatialnqpf.models.spatial_cross_section
# Tool: R with spatialreg / spdep / spData (versions written into the output header)
# Command: cd tests/reference && Rscript spatialreg_crosssection.R
# Outputs (read by tests/test_models_cross_section.py; CI never runs R):
#   columbus_data.csv, columbus_nb.csv          (data and col.gal.nb neighbour pairs, 1-based ids)
#   columbus_knn4_nb.csv                        (4 nearest neighbours of (X, Y): error W of a SAC fit)
#   boston_data.csv, boston_soi_nb.csv          (boston.c design columns and boston.soi pairs)
#   spatialreg_crosssection_results.csv         (dataset, model, quantity, term, value)
# Input made by python: spatialreg_demo2022_data.csv, spatialreg_demo2022_nb.csv
#   (tests/reference/spatialreg_demo2022_export.py: the 2022 provinces of the demo panel)
# All ML fits use method = "eigen" (exact log-determinant) and row-standardised W ("W" style).
suppressPackageStartupMessages({library(spData); library(spdep); library(spatialreg)})
options(digits = 17)
out <- list()
add <- function(ds, model, quantity, term, value) {
  out[[length(out) + 1]] <<- data.frame(dataset = ds, model = model, quantity = quantity,
                                        term = term, value = as.numeric(value))
}
nb_pairs <- function(nb) {
  do.call(rbind, lapply(seq_along(nb), function(i) {
    j <- nb[[i]]; j <- j[j > 0]
    if (length(j)) data.frame(focal = i, neighbor = j) else NULL
  }))
}
record_fit <- function(ds, model, fit, lw) {
  s <- summary(fit)
  cf <- s$Coef
  for (i in seq_len(nrow(cf))) {
    add(ds, model, "coef", rownames(cf)[i], cf[i, 1])
    add(ds, model, "se", rownames(cf)[i], cf[i, 2])
  }
  if (!is.null(fit$rho)) { add(ds, model, "coef", "rho", fit$rho); add(ds, model, "se", "rho", fit$rho.se) }
  if (!is.null(fit$lambda)) { add(ds, model, "coef", "lambda", fit$lambda); add(ds, model, "se", "lambda", fit$lambda.se) }
  add(ds, model, "llf", "", as.numeric(logLik(fit)))
  add(ds, model, "sigma2", "", fit$s2)
  add(ds, model, "aic", "", AIC(fit))
  if (model %in% c("sar", "sdm", "sac", "sac_w2knn4")) {
    im <- impacts(fit, listw = lw)
    nm <- attr(im, "bnames")
    for (k in seq_along(nm)) {
      add(ds, model, "direct", nm[k], im$direct[k])
      add(ds, model, "indirect", nm[k], im$indirect[k])
      add(ds, model, "total", nm[k], im$total[k])
    }
  }
  if (model == "sdem") {
    im <- impacts(fit)
    record_linear_impacts(ds, model, im)
  }
}
record_linear_impacts <- function(ds, model, im) {
  # impacts() of SLX/SDEM (class WXimpact): linear combinations with analytic standard errors
  for (e in c("direct", "indirect", "total")) {
    v <- im$impacts[[e]]; sev <- im$se[[e]]
    for (k in seq_along(v)) {
      add(ds, model, e, names(v)[k], v[k])
      add(ds, model, paste0(e, "_se"), names(v)[k], sev[k])
    }
  }
}
run_all <- function(ds, form, data, lw) {
  ols <- lm(form, data = data)
  add(ds, "ols", "llf", "", as.numeric(logLik(ols)))
  cf <- summary(ols)$coefficients
  for (i in seq_len(nrow(cf))) { add(ds, "ols", "coef", rownames(cf)[i], cf[i, 1]); add(ds, "ols", "se", rownames(cf)[i], cf[i, 2]) }
  lmt <- lm.LMtests(ols, lw, test = "all")
  for (t in names(lmt)) { add(ds, "ols", "lmtest_stat", t, lmt[[t]]$statistic); add(ds, "ols", "lmtest_p", t, lmt[[t]]$p.value) }
  mt <- lm.morantest(ols, lw)
  add(ds, "ols", "moran", "I", mt$estimate[1]); add(ds, "ols", "moran", "EI", mt$estimate[2])
  add(ds, "ols", "moran", "VI", mt$estimate[3]); add(ds, "ols", "moran", "z", mt$statistic)
  slx <- lmSLX(form, data = data, listw = lw)
  add(ds, "slx", "llf", "", as.numeric(logLik(slx)))
  cf <- summary(slx)$coefficients
  for (i in seq_len(nrow(cf))) { add(ds, "slx", "coef", rownames(cf)[i], cf[i, 1]); add(ds, "slx", "se", rownames(cf)[i], cf[i, 2]) }
  record_linear_impacts(ds, "slx", impacts(slx))
  sar <- lagsarlm(form, data = data, listw = lw, method = "eigen")
  record_fit(ds, "sar", sar, lw)
  sem <- errorsarlm(form, data = data, listw = lw, method = "eigen")
  record_fit(ds, "sem", sem, lw)
  sdm <- lagsarlm(form, data = data, listw = lw, method = "eigen", Durbin = TRUE)
  record_fit(ds, "sdm", sdm, lw)
  sdem <- errorsarlm(form, data = data, listw = lw, method = "eigen", Durbin = TRUE)
  record_fit(ds, "sdem", sdem, lw)
  sac <- sacsarlm(form, data = data, listw = lw, method = "eigen")
  record_fit(ds, "sac", sac, lw)
  # simulated impact standard errors (R = 5000 draws from N(theta_hat, V_asy), set.seed(1))
  for (m in list(list("sar", sar), list("sdm", sdm))) {
    set.seed(1)
    si <- summary(impacts(m[[2]], listw = lw, R = 5000), zstats = TRUE, short = TRUE)
    sm <- si$semat
    for (e in c("Direct", "Indirect", "Total")) {
      for (k in seq_len(nrow(sm))) add(ds, m[[1]], paste0(tolower(e), "_simse"), rownames(sm)[k], sm[k, e])
    }
  }
  # likelihood-ratio tests of the SDM against its restrictions
  lr1 <- LR.Sarlm(sdm, sar); add(ds, "sdm", "lr_sar", "stat", lr1$statistic); add(ds, "sdm", "lr_sar", "df", lr1$parameter)
  lr2 <- LR.Sarlm(sdm, sem); add(ds, "sdm", "lr_sem", "stat", lr2$statistic); add(ds, "sdm", "lr_sem", "df", lr2$parameter)
  # the SEM restricted SDM (common factor) is the SEM itself: record nothing more
}

# ---- columbus: CRIME ~ INC + HOVAL, col.gal.nb, row-standardised
data(columbus, package = "spData")
col_nb <- spdep::read.gal(system.file("weights/columbus.gal", package = "spData")[1])
if (!exists("col.gal.nb")) col.gal.nb <- col_nb
lw_col <- nb2listw(col.gal.nb, style = "W")
cdat <- data.frame(id = seq_len(nrow(columbus)), CRIME = columbus$CRIME, INC = columbus$INC,
                   HOVAL = columbus$HOVAL)
write.csv(cdat, "columbus_data.csv", row.names = FALSE)
write.csv(nb_pairs(col.gal.nb), "columbus_nb.csv", row.names = FALSE)
run_all("columbus", CRIME ~ INC + HOVAL, cdat, lw_col)
# SAC with a different error matrix: 4 nearest neighbours of the tract centroids (X, Y)
knn4 <- knn2nb(knearneigh(cbind(columbus$X, columbus$Y), k = 4))
write.csv(nb_pairs(knn4), "columbus_knn4_nb.csv", row.names = FALSE)
lw_knn <- nb2listw(knn4, style = "W")
sac2 <- sacsarlm(CRIME ~ INC + HOVAL, data = cdat, listw = lw_col, listw2 = lw_knn, method = "eigen")
record_fit("columbus", "sac_w2knn4", sac2, lw_col)

# ---- boston: the Harrison-Rubinfeld hedonic model, boston.soi neighbours, row-standardised
data(boston, package = "spData")
b <- boston.c
bdat <- data.frame(id = seq_len(nrow(b)), logCMEDV = log(b$CMEDV), CRIM = b$CRIM, ZN = b$ZN,
                   INDUS = b$INDUS, CHAS = as.numeric(as.character(b$CHAS)), NOX2 = b$NOX^2,
                   RM2 = b$RM^2, AGE = b$AGE, logDIS = log(b$DIS), logRAD = log(b$RAD),
                   TAX = b$TAX, PTRATIO = b$PTRATIO, B = b$B, logLSTAT = log(b$LSTAT))
write.csv(bdat, "boston_data.csv", row.names = FALSE)
write.csv(nb_pairs(boston.soi), "boston_soi_nb.csv", row.names = FALSE)
lw_bos <- nb2listw(boston.soi, style = "W")
run_all("boston", logCMEDV ~ CRIM + ZN + INDUS + CHAS + NOX2 + RM2 + AGE + logDIS + logRAD + TAX +
          PTRATIO + B + logLSTAT, bdat, lw_bos)

# ---- China 2022 provincial cross-section (exported by spatialreg_demo2022_export.py):
#      lgdp ~ lrd + lpat + share_tertiary, queen contiguity with Hainan-Guangdong, row-standardised
ddat <- read.csv("spatialreg_demo2022_data.csv")
dnbp <- read.csv("spatialreg_demo2022_nb.csv")
codes <- ddat$code
dnb <- lapply(codes, function(cd) sort(match(dnbp$neighbor[dnbp$focal == cd], codes)))
dnb <- lapply(dnb, as.integer)
class(dnb) <- "nb"; attr(dnb, "region.id") <- as.character(codes)
lw_demo <- nb2listw(dnb, style = "W")
run_all("demo2022", lgdp ~ lrd + lpat + share_tertiary, ddat, lw_demo)

res <- do.call(rbind, out)
hdr <- c(sprintf("# tool: R %s, spatialreg %s, spdep %s, spData %s", getRversion(),
                 packageVersion("spatialreg"), packageVersion("spdep"), packageVersion("spData")),
         "# command: cd tests/reference && Rscript spatialreg_crosssection.R",
         sprintf("# date: %s", format(Sys.time(), tz = "UTC", usetz = TRUE)),
         "# models: lm, lmSLX, lagsarlm, errorsarlm, lagsarlm(Durbin=TRUE), errorsarlm(Durbin=TRUE), sacsarlm; method='eigen'; impacts exact (listw)")
writeLines(hdr, "spatialreg_crosssection_results.csv")
res$value <- sprintf("%.17g", res$value)
suppressWarnings(write.table(res, "spatialreg_crosssection_results.csv", sep = ",", row.names = FALSE,
                             append = TRUE, col.names = TRUE, quote = TRUE))
cat("wrote", nrow(res), "rows\n")
