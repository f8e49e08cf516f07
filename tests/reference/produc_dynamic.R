# Reference numbers for the dynamic spatial panels on the Produc panel (plm::Produc, Munnell 1990:
# 48 contiguous US states x 1970-1986; the first year only supplies the lags), written by this
# script from Debian's r-cran-plm and r-cran-spdata:
#   produc_panel.csv   (state, year, lgsp = log(gsp), lpcap = log(pcap), lpc = log(pc),
#                       lemp = log(emp), unemp)
#   produc_w48_edges.csv (queen contiguity of spData::us_states without DC, spdep::poly2nb;
#                       binary, symmetric; row-standardised in the tests)
#   produc_dynamic_results.csv (case, term, estimate, se, se_kind)
# Model: lgsp ~ lpcap + lpc + lemp + unemp.  Same two references and the same three local
# edits of SDPDmod as cigar_dynamic.R (see its header).
# Run:  cd tests/reference && R_LIBS=/path/to/patched/SDPDmod/lib Rscript produc_dynamic.R
suppressPackageStartupMessages({library(spdep); library(spatialreg); library(Matrix); library(SDPDmod)
                          library(sf); library(spData); library(plm)})
data(Produc, package = "plm"); data(us_states, package = "spData")
st <- us_states[us_states$NAME != "District of Columbia", ]
key <- toupper(gsub(" ", "_", st$NAME)); key[key == "TENNESSEE"] <- "TENNESSE"
stopifnot(setequal(key, as.character(unique(Produc$state))))
sf::sf_use_s2(FALSE)
nb <- poly2nb(st, queen = TRUE, row.names = key)
ed <- data.frame(focal = rep(key, card(nb)), neighbor = key[unlist(nb)])
con <- file("produc_w48_edges.csv", "w")
writeLines(c("# Queen contiguity of the 48 contiguous US states (spData::us_states without DC, spdep::poly2nb);",
             "# written by tests/reference/produc_dynamic.R"), con)
write.csv(ed, con, row.names = FALSE); close(con)
d <- data.frame(state = as.character(Produc$state), year = Produc$year, lgsp = log(Produc$gsp),
                lpcap = log(Produc$pcap), lpc = log(Produc$pc), lemp = log(Produc$emp), unemp = Produc$unemp)
d <- d[order(d$year, d$state), ]
write.csv(d, "produc_panel.csv", row.names = FALSE)
codes <- sort(unique(d$state)); N <- length(codes); years <- sort(unique(d$year)); TT <- length(years)
e <- read.csv("produc_w48_edges.csv", comment.char = "#")
XV <- c("lpcap", "lpc", "lemp", "unemp")
B <- matrix(0, N, N); B[cbind(match(e$focal, codes), match(e$neighbor, codes))] <- 1
W <- B / rowSums(B)
lag <- function(v) as.vector(kronecker(diag(TT), W) %*% v)
Wc <- lag(d$lgsp); WX <- sapply(c("lpcap", "lpc", "lemp", "unemp"), function(v) lag(d[[v]]))
keep <- d$year > years[1]
prev <- match(paste(d$state, d$year - 1), paste(d$state, d$year))
D <- data.frame(y = d$lgsp, y_lag = d$lgsp[prev], W_y_lag = Wc[prev], lpcap = d$lpcap, lpc = d$lpc,
                lemp = d$lemp, unemp = d$unemp, W_lpcap = WX[, 1], W_lpc = WX[, 2], W_lemp = WX[, 3],
                W_unemp = WX[, 4], st = factor(d$state), yr = factor(d$year))[keep, ]
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
  b <- cf[XV]; th <- if (sdm) cf[paste0("W_", XV)] else rep(0, 4)
  r <- rbind(r, effects_rows(case, b, th, fit$rho, cf["y_lag"], cf["W_y_lag"]))
  out[[case]] <<- r
}
rec_lagsarlm("lagsarlm_sdm_twoways", y ~ y_lag + W_y_lag + lpcap + lpc + lemp + unemp + W_lpcap + W_lpc + W_lemp + W_unemp + st + yr, TRUE)
rec_lagsarlm("lagsarlm_sar_individual", y ~ y_lag + W_y_lag + lpcap + lpc + lemp + unemp + st, FALSE)

# ---------------------------------------------------------------- SDPDmod (patched copy)
rec_sdpd <- function(case, model, effect) {
  fit <- SDPDm(lgsp ~ lpcap + lpc + lemp + unemp, data = d, W = W, index = c("state", "year"), model = model,
               effect = effect, dynamic = TRUE, tlaginfo = list(ind = NULL, tl = TRUE, stl = TRUE),
               LYtrans = TRUE)
  nm <- c("y_lag", "W_y_lag", XV, if (model == "sdm") paste0("W_", XV))
  th1 <- c(fit$coefficients1, fit$rho1, fit$sige1)
  th0 <- c(fit$coefficients, fit$rho, fit$sige)
  kz <- length(nm)
  se_sw <- sqrt(diag(fit$varcov))
  r <- data.frame(case = case, term = c(nm, "rho", "sigma2"), estimate = th1, se = se_sw, se_kind = "sdpdmod_sandwich")
  r <- rbind(r, data.frame(case = case, term = paste0(c(nm, "rho", "sigma2"), "_uncorrected"), estimate = th0, se = NA, se_kind = ""))
  b <- setNames(th1[3:6], XV); tt <- if (model == "sdm") th1[7:10] else rep(0, 4)
  r <- rbind(r, effects_rows(case, b, tt, th1[kz + 1], th1[1], th1[2]))
  r <- rbind(r, data.frame(case = case, term = "likl1", estimate = fit$likl1, se = NA, se_kind = ""))
  out[[case]] <<- r
}
rec_sdpd("sdpdm_sdm_twoways", "sdm", "twoways")
rec_sdpd("sdpdm_sar_individual", "sar", "individual")
res <- do.call(rbind, out)
con <- file("produc_dynamic_results.csv", "w")
writeLines(c(sprintf("# %s; spatialreg %s; spdep %s; SDPDmod %s (patched copy, see cigar_dynamic.R, produc_dynamic.R)",
                     R.version.string, packageVersion("spatialreg"), packageVersion("spdep"), packageVersion("SDPDmod")),
             "# generated by tests/reference/produc_dynamic.R"), con)
write.csv(res, con, row.names = FALSE)
close(con)
print(res[!grepl(":", res$term), ], digits = 10)
