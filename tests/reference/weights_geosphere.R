# Reference distance and economic weights for tests/test_weights.py, produced in R independently of
# spatialnqpf (geosphere for great-circle distances, base R for the matrix algebra).
# tool:    R geosphere (distHaversine, r = 6371000 m), base R; versions in the first line of each output
# command: cd <repo root> && Rscript tests/reference/weights_geosphere.R
# inputs:  spatialnqpf/data/capitals.csv, spatialnqpf/data/nqpf_panel_2012_2022.csv (column gdp)
# outputs: tests/reference/weights_geosphere_capitals_km.csv   haversine km between the 31 capitals
#          tests/reference/weights_r_nested_gdp.csv            row-standardised
#                 0.5 * rowstd(1/d) + 0.5 * rowstd(1/|Ybar_i - Ybar_j|), then row-standardised again
#          tests/reference/weights_r_econgeo_gdp.csv           rowstd( (1/d) %*% diag(Ybar / mean(Ybar)) )
suppressPackageStartupMessages(library(geosphere))
stamp <- sprintf("# geosphere %s, %s, written %s by tests/reference/weights_geosphere.R",
                 packageVersion("geosphere"), R.version.string, format(Sys.time(), tz = "UTC"))
out <- function(m, ids, file) {
  con <- file(file.path("tests/reference", file), "w")
  writeLines(stamp, con)
  df <- data.frame(id = ids, m)
  names(df) <- c("id", as.character(ids))
  write.csv(df, con, row.names = FALSE)
  close(con)
}
options(digits = 17)
cap <- read.csv("spatialnqpf/data/capitals.csv")
cap <- cap[order(cap$code), ]
xy <- as.matrix(cap[, c("lon", "lat")])
n <- nrow(cap)
d <- matrix(0, n, n)
for (i in 1:n) d[i, ] <- distHaversine(xy[i, , drop = FALSE], xy, r = 6371000) / 1000
out(d, cap$code, "weights_geosphere_capitals_km.csv")

rowstd <- function(m) m / rowSums(m)
wd <- 1 / d; diag(wd) <- 0
p <- read.csv("spatialnqpf/data/nqpf_panel_2012_2022.csv")
ybar <- tapply(p$gdp, p$code, mean)
ybar <- ybar[as.character(cap$code)]
we <- 1 / abs(outer(ybar, ybar, "-")); diag(we) <- 0
nested <- rowstd(0.5 * rowstd(wd) + 0.5 * rowstd(we))
out(nested, cap$code, "weights_r_nested_gdp.csv")
eg <- rowstd(wd %*% diag(as.numeric(ybar / mean(ybar))))
out(eg, cap$code, "weights_r_econgeo_gdp.csv")
cat("done\n")
