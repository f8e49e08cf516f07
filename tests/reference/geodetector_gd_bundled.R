# GD 10.8 on its own bundled ndvi_40 (not committable: the data stay in /tmp).
# Run: R_LIBS=/tmp/rlib Rscript geodetector_gd_bundled.R ; the optional test
# tests/test_patterns_geodetector.py::test_gd_bundled_ndvi reads $SPATIALNQPF_GD_NDVI_DIR.
suppressMessages(library(GD))
out <- Sys.getenv("SPATIALNQPF_GD_NDVI_DIR", "/tmp/gd_ndvi")
dir.create(out, showWarnings = FALSE)
data("ndvi_40")
write.csv(ndvi_40, file.path(out, "ndvi_40.csv"), row.names = FALSE)
cont <- c("Tempchange", "Precipitation", "GDP", "Popdensity")
od <- optidisc(NDVIchange ~ ., data = ndvi_40[, c("NDVIchange", cont)],
               discmethod = c("equal", "natural", "quantile", "geometric", "sd"),
               discitv = 3:7)
write.csv(do.call(rbind, lapply(names(od), function(v) data.frame(
  factor = v, method = od[[v]]$method, k = od[[v]]$n.itv,
  breaks = paste(sprintf("%.17g", od[[v]]$itv), collapse = ";")))),
  file.path(out, "opgd.csv"), row.names = FALSE)
s <- ndvi_40
for (v in cont) s[[v]] <- cut(ndvi_40[[v]], unique(od[[v]]$itv), include.lowest = TRUE)
g <- gd(NDVIchange ~ ., data = s)$Factor
fv <- sapply(g$variable, function(v) { x <- droplevels(factor(s[[v]])); L <- nlevels(x)
  n <- nrow(s); q <- g$qv[g$variable == v]; (n - L) * q / ((L - 1) * (1 - q)) })
write.csv(data.frame(factor = g$variable, q = sprintf("%.17g", g$qv),
                     F = sprintf("%.17g", fv), p = sprintf("%.17g", g$sig)),
          file.path(out, "factor.csv"), row.names = FALSE)
it <- gdinteract(NDVIchange ~ ., data = s)$Interaction
it$qv12 <- sprintf("%.17g", it$qv12)
write.csv(it, file.path(out, "interaction.csv"), row.names = FALSE)
cat("done\n")
