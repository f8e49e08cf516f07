# Reference values for tests/test_autocorrelation.py (issue 6).
#
# Tool:    R with spdep and spData (versions written into the output header)
# Command: cd tests/reference && Rscript spdep_columbus.R > spdep_columbus_values.py
# Data:    spData::columbus (49 Columbus OH neighbourhoods), queen list col.gal.nb;
#          ids are NEIGNO (1001..1049) in the data's row order (not sorted), so the
#          Python tests also exercise id alignment.
# Output:  a Python module (17 significant digits) with the data, the neighbour
#          list and the statistics of moran.test (randomisation TRUE/FALSE),
#          geary.test (TRUE/FALSE), globalG.test, localmoran, lm.morantest,
#          moran_bv (statistic only) and localmoran_bv (statistic only), for
#          row-standardised ("W") and binary ("B") weights.
suppressPackageStartupMessages({library(spdep); library(spData)})
data(columbus, package = "spData")
ids <- as.integer(attr(col.gal.nb, "region.id"))
stopifnot(all(ids == columbus$NEIGNO))
num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
out <- function(...) cat(..., "\n", sep = "")
out('"""spdep reference values on spData columbus (generated, do not edit).')
out()
out("Tool: R ", R.version$major, ".", R.version$minor, ", spdep ", as.character(packageVersion("spdep")),
    ", spData ", as.character(packageVersion("spData")))
out("Command: cd tests/reference && Rscript spdep_columbus.R > spdep_columbus_values.py")
out("Date: ", format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"))
out('"""')
out("IDS = ", num(ids))
for (v in c("CRIME", "INC", "HOVAL")) out(v, " = ", num(columbus[[v]]))
out("NEIGHBOURS = {")
for (i in seq_along(ids)) out("    ", ids[i], ": ", num(ids[col.gal.nb[[i]]]), ",")
out("}")
two <- "two.sided"
for (style in c("W", "B")) {
  lw <- nb2listw(col.gal.nb, style = style)
  for (v in c("CRIME", "INC", "HOVAL")) {
    x <- columbus[[v]]
    key <- paste0(v, "_", style)
    for (rnd in c(TRUE, FALSE)) {
      m <- moran.test(x, lw, randomisation = rnd, alternative = two)
      out("MORAN_", key, "_", if (rnd) "RAND" else "NORM", " = dict(I=", sprintf("%.17g", m$estimate[1]),
          ", EI=", sprintf("%.17g", m$estimate[2]), ", VI=", sprintf("%.17g", m$estimate[3]),
          ", z=", sprintf("%.17g", m$statistic), ", p=", sprintf("%.17g", m$p.value), ")")
      g <- geary.test(x, lw, randomisation = rnd, alternative = two)
      out("GEARY_", key, "_", if (rnd) "RAND" else "NORM", " = dict(C=", sprintf("%.17g", g$estimate[1]),
          ", EC=", sprintf("%.17g", g$estimate[2]), ", VC=", sprintf("%.17g", g$estimate[3]),
          ", z=", sprintf("%.17g", g$statistic), ", p=", sprintf("%.17g", g$p.value), ")")
    }
    gg <- suppressWarnings(globalG.test(x, lw, alternative = two))
    out("GETIS_", key, " = dict(G=", sprintf("%.17g", gg$estimate[1]), ", EG=", sprintf("%.17g", gg$estimate[2]),
        ", VG=", sprintf("%.17g", gg$estimate[3]), ", z=", sprintf("%.17g", gg$statistic),
        ", p=", sprintf("%.17g", gg$p.value), ")")
    for (cond in c(TRUE, FALSE)) {
      lm_ <- localmoran(x, lw, conditional = cond, alternative = two)
      q <- attr(lm_, "quadr")$pysal
      out("LOCAL_", key, if (cond) "_COND" else "_TOTAL", " = dict(Ii=", num(lm_[, 1]), ", EIi=", num(lm_[, 2]),
          ", VIi=", num(lm_[, 3]), ", z=", num(lm_[, 4]), ", p=", num(lm_[, 5]),
          ", quad=[", paste0('"', as.character(q), '"', collapse = ", "), "])")
    }
  }
  fit <- lm(CRIME ~ INC + HOVAL, data = columbus)
  r <- lm.morantest(fit, lw, alternative = two)
  out("LM_MORAN_CRIME_INC_HOVAL_", style, " = dict(I=", sprintf("%.17g", r$estimate[1]),
      ", EI=", sprintf("%.17g", r$estimate[2]), ", VI=", sprintf("%.17g", r$estimate[3]),
      ", z=", sprintf("%.17g", r$statistic), ", p=", sprintf("%.17g", r$p.value), ")")
  out("LM_RESID_CRIME_INC_HOVAL = ", num(residuals(fit)))
  set.seed(1)
  bv <- moran_bv(columbus$INC, columbus$CRIME, lw, nsim = 99)
  out("MORAN_BV_INC_CRIME_", style, " = ", sprintf("%.17g", bv$t0))
  set.seed(1)
  lbv <- localmoran_bv(columbus$INC, columbus$CRIME, lw, nsim = 99)
  out("LOCAL_BV_INC_CRIME_", style, " = ", num(lbv[, 1]))
}
# Island case: unit 1005 loses its links (both directions); zero.policy = TRUE.
nb_isl <- col.gal.nb
k <- which(ids == 1005)
for (j in nb_isl[[k]]) nb_isl[[j]] <- setdiff(nb_isl[[j]], k)
nb_isl[[k]] <- 0L
for (j in seq_along(nb_isl)) if (length(nb_isl[[j]]) == 0) nb_isl[[j]] <- 0L
out("ISLAND_ID = 1005")
out("NEIGHBOURS_ISLAND = {")
for (i in seq_along(ids)) out("    ", ids[i], ": ", if (nb_isl[[i]][1] == 0L) "[]" else num(ids[nb_isl[[i]]]), ",")
out("}")
lwi <- nb2listw(nb_isl, style = "W", zero.policy = TRUE)
for (adj in c(TRUE, FALSE)) {
  m <- moran.test(columbus$CRIME, lwi, randomisation = TRUE, zero.policy = TRUE, adjust.n = adj,
                  alternative = two)
  out("ISLAND_MORAN_CRIME_W_RAND_ADJUSTN_", if (adj) "TRUE" else "FALSE", " = dict(I=",
      sprintf("%.17g", m$estimate[1]), ", EI=", sprintf("%.17g", m$estimate[2]),
      ", VI=", sprintf("%.17g", m$estimate[3]), ", z=", sprintf("%.17g", m$statistic),
      ", p=", sprintf("%.17g", m$p.value), ")")
}
li <- localmoran(columbus$CRIME, lwi, zero.policy = TRUE, alternative = two)
out("ISLAND_LOCAL_CRIME_W_COND = dict(Ii=", num(li[, 1]), ", EIi=", num(li[, 2]), ", VIi=", num(li[, 3]),
    ", z=", gsub("NaN", "float('nan')", num(li[, 4])), ", p=", gsub("NaN|NA", "float('nan')", num(li[, 5])), ")")
# Local Getis-Ord G_i and G_i* (include.self), binary and row-standardised, two-sided.
for (style in c("W", "B")) {
  for (star in c(FALSE, TRUE)) {
    nb <- if (star) include.self(col.gal.nb) else col.gal.nb
    lg <- localG(columbus$CRIME, nb2listw(nb, style = style), return_internals = TRUE,
                 alternative = two)
    it <- attr(lg, "internals")
    out("LOCALG_CRIME_", style, if (star) "_STAR" else "", " = dict(G=", num(it[, 1]), ", EG=", num(it[, 2]),
        ", VG=", num(it[, 3]), ", z=", num(it[, 4]), ", p=", num(it[, 5]), ")")
  }
}
