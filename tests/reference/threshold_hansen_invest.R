# Hansen (1999) application: export pdR's `invest` data to CSV and run pdR::ptm (Hansen's
# algorithm as ported to R) for comparison.  Neither the data nor pdR are committed
# (fetched code/data rule): bring pdR with the search tool's fetch of github:cran/pdR, then
#
#   Rscript tests/reference/threshold_hansen_invest.R <pdR repo>/data/invest.rda \
#           <pdR repo>/R/ptm.R /tmp/invest.csv
#   SPATIALNQPF_HANSEN_INVEST=/tmp/invest.csv python tests/reference/threshold_hansen_invest.py
#
# The numbers printed by ptm (recorded in threshold_hansen_invest.json, "pdR_ptm") use
# Hansen's own transformation (demeaning, then deleting one period per firm) and regimes
# q < gamma; panel_threshold uses the full within transformation and q <= gamma (the
# issue's conventions), hence gamma2 = 0.54072 instead of Hansen's 0.53616.
args <- commandArgs(trailingOnly = TRUE)
load(args[1])
write.csv(invest, args[3], row.names = FALSE)
source(args[2])
dat <- invest
t <- 15; n <- nrow(dat) / t
lagv <- function(x, lag) { m <- matrix(x, nrow = t); as.vector(m[(2 - lag):(t - lag), , drop = FALSE]) }
y <- lagv(dat[, 1], 0); cf <- lagv(dat[, 3], 1); q1 <- lagv(dat[, 2], 1); d1 <- lagv(dat[, 4], 1)
x <- cbind(q1, q1^2, q1^3, d1, q1 * d1)
pdf(NULL)
# bootn = 1: pdR returns its estimates only when it bootstraps
out <- ptm(dep = y, ind1 = cf, ind2 = x, d = d1, bootn = c(1, 1, 1), trimn = c(0.01, 0.01, 0.05),
           qn = 400, conf_lev = 0.95, t = t - 1, n = n)
