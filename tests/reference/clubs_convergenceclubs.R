# Reference for spatialnqpf.dynamics.club_convergence: R ConvergenceClubs 2.2.5
# (github:cran/ConvergenceClubs built under Debian's R; not committed).
# Run: R_LIBS=/tmp/rlib Rscript clubs_convergenceclubs.R
# 1. on the generated clubs_data.csv (committed): clubs_r_*.csv
# 2. on the package's bundled filteredGDP (not committed: exported to $CLUBS_GDP_CSV,
#    default /tmp/filteredGDP.csv, for the optional test): clubs_r_gdp_*.csv (results only)
suppressMessages(library(ConvergenceClubs))
g17 <- function(v) sprintf("%.17g", v)
rec <- function(cl, file) {
  nm <- names(cl)[names(cl) != "divergent"]
  d <- do.call(rbind, lapply(nm, function(k) data.frame(
    club = k, from = if (is.null(cl[[k]]$clubs)) k else paste(cl[[k]]$clubs, collapse = "+"),
    n = length(cl[[k]]$id), beta = g17(cl[[k]]$model["beta"]),
    std_error = g17(cl[[k]]$model["std.err"]), t = g17(cl[[k]]$model["tvalue"]),
    members = paste(cl[[k]]$unit_names, collapse = ";"))))
  if (!is.null(cl$divergent))
    d <- rbind(d, data.frame(club = "divergent", from = "", n = length(cl$divergent$id),
                             beta = NA, std_error = NA, t = NA,
                             members = paste(cl$divergent$unit_names, collapse = ";")))
  write.csv(d, file, row.names = FALSE)
}
full <- function(X, cols, file) {
  m <- estimateMod(computeH(X[, cols]), time_trim = 1/3)
  write.csv(data.frame(beta = g17(m["beta"]), std_error = g17(m["std.err"]),
                       t = g17(m["tvalue"])), file, row.names = FALSE)
}
d <- read.csv("clubs_data.csv", stringsAsFactors = FALSE)
cols <- 2:ncol(d)
full(d, cols, "clubs_r_full.csv")
cl <- findClubs(d, dataCols = cols, unit_names = 1, refCol = ncol(d), time_trim = 1/3,
                cstar = 0, HACmethod = "FQSB")
rec(cl, "clubs_r_clubs.csv")
rec(mergeClubs(cl, mergeMethod = "PS"), "clubs_r_merged_ps.csv")
rec(mergeClubs(cl, mergeMethod = "vLT"), "clubs_r_merged_vlt.csv")
cli <- findClubs(d, dataCols = cols, unit_names = 1, refCol = ncol(d), time_trim = 1/3,
                 cstar = 0, cstar_method = "incremental", cstar_increment = 0.1)
rec(cli, "clubs_r_clubs_incremental.csv")
# bundled data of the package (Sichera & Pizzuto 2019, Table/section 4)
data("filteredGDP")
out <- Sys.getenv("CLUBS_GDP_CSV", "/tmp/filteredGDP.csv")
write.csv(filteredGDP, out, row.names = FALSE)
full(filteredGDP, 2:35, "clubs_r_gdp_full.csv")
cg <- findClubs(filteredGDP, dataCols = 2:35, unit_names = 1, refCol = 35,
                time_trim = 1/3, cstar = 0, HACmethod = "FQSB")
rec(cg, "clubs_r_gdp_clubs.csv")
rec(mergeClubs(cg, mergeMethod = "PS"), "clubs_r_gdp_merged_ps.csv")
cat("done\n")
