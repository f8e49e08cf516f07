# Reference outputs for tests/test_weights.py (spatialnqpf.weights), produced with R spdep.
# tool:    R spdep 1.2.7, sf 1.0.9 (GEOS 3.11.1), R (see header lines written to each output)
# command: cd <repo root> && Rscript tests/reference/weights_spdep.R
# inputs:  shapes/provinces.geojson.gz, shapes/cities.geojson.gz (the bundled simplified shapes),
#          spatialnqpf/data/capitals.csv
# outputs: tests/reference/weights_spdep_province_queen.csv   poly2nb(queen=TRUE), edge list
#          tests/reference/weights_spdep_province_rook.csv    poly2nb(queen=FALSE), edge list
#          tests/reference/weights_spdep_city_queen.csv       poly2nb(queen=TRUE) on the cities
#          tests/reference/weights_spdep_province_queen_hainan_W.csv
#                 queen + Hainan(46)-Guangdong(44) link added by hand (spdep::addlinks1 style:
#                 edit both neighbour lists), nb2listw(style="W"), listw2mat -> dense row-standardised
#          tests/reference/weights_spdep_knn4_capitals.csv     knearneigh(k=4, longlat=TRUE) on capitals
# Note: spdep's longlat distances are great-circle distances on the WGS84 ellipsoid's radius
# (sp::spDistsN1), not the R=6371 km sphere, so only the neighbour sets of knn are compared.
suppressPackageStartupMessages({library(spdep); library(sf)})
sf_use_s2(FALSE)
stamp <- sprintf("# spdep %s, sf %s, %s, written %s by tests/reference/weights_spdep.R",
                 packageVersion("spdep"), packageVersion("sf"), R.version.string, format(Sys.time(), tz = "UTC"))
out <- function(df, file) {
  con <- file(file.path("tests/reference", file), "w")
  writeLines(stamp, con)
  write.csv(df, con, row.names = FALSE)
  close(con)
}
edges <- function(nb, ids) {
  f <- integer(0); g <- integer(0)
  for (i in seq_along(nb)) {
    if (length(nb[[i]]) == 1 && nb[[i]][1] == 0) next
    f <- c(f, rep(ids[i], length(nb[[i]]))); g <- c(g, ids[nb[[i]]])
  }
  data.frame(focal = f, neighbor = g)
}
prov <- st_read("/vsigzip/shapes/provinces.geojson.gz", quiet = TRUE)
prov <- prov[!prov$is_sar, ]
prov <- prov[order(prov$code), ]
pid <- as.integer(prov$code)
nbq <- poly2nb(prov, queen = TRUE)
nbr <- poly2nb(prov, queen = FALSE)
out(edges(nbq, pid), "weights_spdep_province_queen.csv")
out(edges(nbr, pid), "weights_spdep_province_rook.csv")
# Hainan -> Guangdong, both directions
h <- which(pid == 46); g <- which(pid == 44)
nbh <- nbq
nbh[[h]] <- sort(unique(c(setdiff(nbh[[h]], 0L), g)))
nbh[[g]] <- sort(unique(c(nbh[[g]], h)))
attr(nbh, "region.id") <- as.character(pid)
lw <- nb2listw(nbh, style = "W")
m <- listw2mat(lw)
dm <- data.frame(id = pid, m)
names(dm) <- c("id", as.character(pid))
out(dm, "weights_spdep_province_queen_hainan_W.csv")
# cities
city <- st_read("/vsigzip/shapes/cities.geojson.gz", quiet = TRUE)
city <- city[!city$is_sar, ]
city <- city[order(city$code), ]
cid <- as.integer(city$code)
nbc <- poly2nb(city, queen = TRUE)
out(edges(nbc, cid), "weights_spdep_city_queen.csv")
# knn on capitals
cap <- read.csv("spatialnqpf/data/capitals.csv")
cap <- cap[order(cap$code), ]
kn <- knn2nb(knearneigh(as.matrix(cap[, c("lon", "lat")]), k = 4, longlat = TRUE))
out(edges(kn, cap$code), "weights_spdep_knn4_capitals.csv")
cat("done\n")
